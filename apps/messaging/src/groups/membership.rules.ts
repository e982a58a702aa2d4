/** Pure membership arithmetic: what a PUT of a member list adds and removes. */
export function membershipDiff(current: readonly string[], wanted: readonly string[]): { added: string[]; removed: string[] } {
  const have = new Set(current);
  const want = new Set(wanted);
  return {
    added: [...want].filter((id) => !have.has(id)),
    removed: [...have].filter((id) => !want.has(id)),
  };
}
