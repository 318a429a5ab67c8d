/**
 * Largest-remainder allocation of an integer amount over integer weights: every share is the floor
 * of its exact quota, and the units left over go to the largest remainders (earliest first on a tie),
 * so the shares always sum to the amount exactly.
 */
export function allocateByWeights(amount: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`expected a safe integer amount, received ${amount}`);
  let total = 0;
  for (const weight of weights) total += weight;
  if (weights.length === 0 || total <= 0) throw new RangeError('expected at least one positive weight');
  if (amount < 0) return allocateByWeights(-amount, weights).map((share) => (share === 0 ? 0 : -share));
  if (!Number.isSafeInteger(amount * total)) return allocateBig(amount, weights, total);

  const shares: number[] = [];
  const remainders: number[] = [];
  let allocated = 0;
  for (const weight of weights) {
    const product = amount * weight;
    const remainder = product % total;
    const share = (product - remainder) / total;
    shares.push(share);
    remainders.push(remainder);
    allocated += share;
  }
  distributeLeftover(shares, remainders, amount - allocated);
  return shares;
}

function allocateBig(amount: number, weights: readonly number[], total: number): number[] {
  const bigAmount = BigInt(amount);
  const bigTotal = BigInt(total);
  const shares = new Array<number>(weights.length);
  const remainders = new Array<number>(weights.length);
  let allocated = 0;
  for (let i = 0; i < weights.length; i++) {
    const product = bigAmount * BigInt(weights[i] as number);
    const share = product / bigTotal;
    shares[i] = Number(share);
    // The remainder is below `total`, itself a safe integer, so it compares exactly as a number.
    remainders[i] = Number(product - share * bigTotal);
    allocated += Number(share);
  }
  distributeLeftover(shares, remainders, amount - allocated);
  return shares;
}

function distributeLeftover(shares: number[], remainders: number[], leftover: number): void {
  if (leftover === 0) return;
  if (leftover * shares.length <= 1024) {
    // A few units over a few dozen periods: picking the largest remainder each time beats a sort.
    for (let k = 0; k < leftover; k++) {
      let best = -1;
      for (let i = 0; i < remainders.length; i++) {
        if ((remainders[i] as number) >= 0 && (best < 0 || (remainders[i] as number) > (remainders[best] as number))) best = i;
      }
      shares[best] = (shares[best] as number) + 1;
      remainders[best] = -1;
    }
    return;
  }
  const order = remainders.map((_, i) => i).sort((a, b) => (remainders[b] as number) - (remainders[a] as number) || a - b);
  for (let k = 0; k < leftover; k++) {
    const i = order[k] as number;
    shares[i] = (shares[i] as number) + 1;
  }
}
