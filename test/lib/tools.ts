/**
 * The external tools some tests run (cfn-lint, moto_server). On a laptop without them those tests
 * say they were skipped and why; CI (`.ci/run`, which sets REQUIRE_AWS_TOOLS=1) fails instead.
 */
import { spawnSync } from 'node:child_process';

export function toolMissing(command: string, install: string): string | undefined {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
  if (r.status === 0 || (r.error === undefined && r.status !== 127)) return undefined;
  const why = `${command} is not installed (${install})`;
  if (process.env.REQUIRE_AWS_TOOLS === '1') throw new Error(`${why}; REQUIRE_AWS_TOOLS=1 forbids skipping`);
  return why;
}
