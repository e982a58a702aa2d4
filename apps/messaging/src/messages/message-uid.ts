import { randomBytes } from 'node:crypto';

// Crockford's base32: no I, L, O, U, so an id read aloud or retyped survives.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A messageUId in RongCloud's shape (`BKCP-VBUT-0006-9GPP`): 80 bits, the first 45 the send
 * time in milliseconds (so ids sort roughly by time), the other 35 random.
 */
export function newMessageUId(nowMs: number, random: Buffer = randomBytes(5)): string {
  let value = (BigInt(nowMs) << 35n) | (BigInt('0x' + random.toString('hex')) & ((1n << 35n) - 1n));
  const chars: string[] = [];
  for (let i = 0; i < 16; i++) {
    chars.unshift(ALPHABET[Number(value & 31n)]);
    value >>= 5n;
  }
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}
