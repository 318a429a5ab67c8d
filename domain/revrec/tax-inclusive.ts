/**
 * A tax-inclusive line (Chargebee's `price_type: tax_inclusive`) bills an amount and a discount that
 * both include tax, and the tax of the discounted amount. Recognition needs both without tax: the
 * tax is taken off the amount and the discount in proportion, so neither gross revenue nor the
 * discount keeps the tax of the other. 119.00 incl. 19 % VAT less an 11.90 coupon (tax 17.10) is
 * 100.00 of revenue and 10.00 of discount. Integer arithmetic, half away from zero.
 */
export interface LineAmounts {
  /** Minor units before discounts. */
  amount: number;
  /** Minor units of discount. */
  discount: number;
}

/** The line's amount and discount without tax, given both with tax and the tax of `amount − discount`. */
export function withoutTax(line: LineAmounts & { tax: number }): LineAmounts {
  const billed = BigInt(line.amount) - BigInt(line.discount);
  const net = billed - BigInt(line.tax);
  // Fully discounted: no tax to share out, nothing billed.
  if (billed === 0n || line.discount === 0) return { amount: Number(net + BigInt(line.discount)), discount: line.discount };
  const discount = divideRounded(BigInt(line.discount) * net, billed);
  return { amount: Number(net + discount), discount: Number(discount) };
}

function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (2n * n + d) / (2n * d);
  return negative ? -quotient : quotient;
}
