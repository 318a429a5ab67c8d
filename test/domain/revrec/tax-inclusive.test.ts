import { describe, expect, it } from 'vitest';
import { withoutTax } from '../../../domain/revrec/tax-inclusive.js';

describe('withoutTax: a tax-inclusive line without its tax', () => {
  it('takes the tax off the amount and the discount in proportion', () => {
    // 119.00 incl. 19 % VAT less 11.90 incl. VAT; tax on 107.10 is 17.10.
    expect(withoutTax({ amount: 11900, discount: 1190, tax: 1710 })).toEqual({ amount: 10000, discount: 1000 });
  });
  it('leaves the discount alone when there is none, and takes all the tax off the amount', () => {
    expect(withoutTax({ amount: 11900, discount: 0, tax: 1900 })).toEqual({ amount: 10000, discount: 0 });
  });
  it('rounds the discount half away from zero, and the net (amount − discount) stays exact', () => {
    // 10.00 incl. 7 % less 3.33: billed 6.67, tax 0.44, net 6.23; discount ex tax 3.33 × 6.23 / 6.67 = 3.1103 → 3.11.
    const split = withoutTax({ amount: 1000, discount: 333, tax: 44 });
    expect(split).toEqual({ amount: 934, discount: 311 });
    expect(split.amount - split.discount).toBe(1000 - 333 - 44);
  });
  it('a fully discounted line has no tax to share out', () => {
    expect(withoutTax({ amount: 11900, discount: 11900, tax: 0 })).toEqual({ amount: 11900, discount: 11900 });
  });
  it('works on credit lines (negative amounts) too', () => {
    expect(withoutTax({ amount: -11900, discount: -1190, tax: -1710 })).toEqual({ amount: -10000, discount: -1000 });
  });
});
