/** The jsonata package, loaded once for the whole engine (see require-cjs.ts for why not by `import`). */
import { requireCjs } from '../require-cjs.js';

export const jsonata = requireCjs('jsonata') as typeof import('jsonata');
