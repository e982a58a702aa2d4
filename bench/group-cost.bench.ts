/**
 * `npm run bench:group`: issue 9's "group size is free" against a running stack. Runs the shared
 * cpu-per-message bench twice in a row, private text and then a GROUP_SIZE-member group, and
 * prints the group's CPU per message and send rate as ratios of the private ones (targets: CPU
 * <= 1.5x, rate >= 0.8x). Both runs on the same stack, one after the other, so the machine's
 * noise moves both. Needs autocannon and pg on NODE_PATH, as `npm run bench:cpu` does.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { envInt } from './bench-kit';

interface CpuLine {
  accepted: number;
  rps: number;
  p99_ms: number;
  total_cpu_ms_per_msg: number;
  by_component: Record<string, number>;
}

const GROUP_SIZE = envInt('GROUP_SIZE', 10_000);
const script = join(__dirname, '../../shared/bench/cpu-per-message.cjs');

function measure(convType: number, groupSize: number, durationS?: number): CpuLine {
  const out = execFileSync(process.execPath, [script], {
    env: {
      ...process.env,
      ...(durationS ? { DURATION_S: String(durationS) } : {}),
      CONV_TYPE: String(convType),
      GROUP_SIZE: String(groupSize),
      NODE_PATH: process.env.NODE_PATH ?? '/tmp/im-bench-deps/node_modules',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').pop() ?? '';
  console.log(last);
  return JSON.parse(last) as CpuLine;
}

const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function main(): void {
  // A freshly started stack answers its first seconds slowly (connections, JIT): not measured.
  measure(1, 2, 3);
  const privateRun = measure(1, 2);
  const groupRun = measure(3, GROUP_SIZE);
  const cpuRatio = groupRun.total_cpu_ms_per_msg / privateRun.total_cpu_ms_per_msg;
  const rateRatio = groupRun.rps / privateRun.rps;
  console.log(`private: ${privateRun.rps}/s, ${fixed(privateRun.total_cpu_ms_per_msg, 3)} ms CPU per message`);
  console.log(`group of ${GROUP_SIZE}: ${groupRun.rps}/s, ${fixed(groupRun.total_cpu_ms_per_msg, 3)} ms CPU per message`);
  console.log(`group/private cpu per message: ${fixed(cpuRatio)} (target <= 1.5) ${cpuRatio <= 1.5 ? 'met' : 'NOT met'}`);
  console.log(`group/private send rate: ${fixed(rateRatio)} (target >= 0.8) ${rateRatio >= 0.8 ? 'met' : 'NOT met'}`);
}

main();
