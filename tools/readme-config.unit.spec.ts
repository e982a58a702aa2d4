import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commonSpec, ConfigSpec, SECRET_VARIABLES, serviceOpsSpec, variableNames } from '@im/service-kit';
import { expansionsSpec } from '../apps/expansions/src/expansions.settings';
import { gatewaySpec } from '../apps/gateway/src/gateway.config';
import { messagingSpec } from '../apps/messaging/src/messaging.settings';
import { pushSpec } from '../apps/push/src/push.settings';
import { receiptsSpec } from '../apps/receipts/src/receipts.settings';

/** Each app's own variables (the common ones and the secrets are read by all). */
const OWN: Record<string, ConfigSpec> = {
  gateway: gatewaySpec,
  messaging: { ...messagingSpec, ...serviceOpsSpec },
  expansions: { ...expansionsSpec, ...serviceOpsSpec },
  receipts: { ...receiptsSpec, ...serviceOpsSpec },
  push: { ...pushSpec, ...serviceOpsSpec },
};

/** The README's configuration table as variable -> "read by" cell. */
function readmeTable(): Map<string, string> {
  const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
  const table = readme.split('<!-- config-table:start -->')[1].split('<!-- config-table:end -->')[0];
  const rows = new Map<string, string>();
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = cells[1]?.match(/^`([A-Z0-9_]+)`$/)?.[1];
    if (!name) continue;
    expect(rows.has(name)).toBe(false);
    rows.set(name, cells[3]);
  }
  return rows;
}

describe('the README configuration table', () => {
  const rows = readmeTable();

  it('lists the common variables and the secrets as read by all', () => {
    for (const name of [...variableNames(commonSpec), ...SECRET_VARIABLES]) expect([name, rows.get(name)]).toEqual([name, 'all']);
  });

  it("lists each app's own variables with the app that reads them", () => {
    const common = new Set(variableNames(commonSpec));
    for (const [app, spec] of Object.entries(OWN)) {
      for (const name of variableNames(spec).filter((n) => !common.has(n))) expect([name, rows.get(name)?.split(', ')]).toEqual([name, expect.arrayContaining([app])]);
    }
  });

  it('lists nothing no app reads', () => {
    const read = new Set([...SECRET_VARIABLES, ...Object.values(OWN).flatMap((s) => variableNames(s)), ...variableNames(commonSpec)]);
    expect([...rows.keys()].filter((n) => !read.has(n))).toEqual([]);
  });
});
