/** `npm run sim -- --port N [--markets M] [--speed X] [--seed S] [--faults LIST]`: the simulator on its own. */
import { parseSimArgs, SIM_USAGE, UsageError } from '../sim/cli-options';
import { startSimulator } from '../sim';

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${SIM_USAGE}\n`);
    return 0;
  }
  let options;
  try {
    options = parseSimArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`sim: ${e.message}\n${SIM_USAGE}\n`);
    return 2;
  }
  const sim = await startSimulator(options);
  const o = sim.options;
  process.stdout.write(
    `Binance simulator: ${sim.symbols().length} markets, speed ${o.speed}, seed ${o.seed}, simulated now ${new Date(sim.now()).toISOString()}\n` +
      `REST   ${sim.restUrl}      (e.g. ${sim.restUrl}/api/v3/exchangeInfo)\n` +
      `STREAM ${sim.streamUrl}    (e.g. ${sim.streamUrl}/stream?streams=${encodeURIComponent(sim.symbols()[0]?.toLowerCase() ?? 'x')}@kline_1m)\n` +
      `Ctrl-C stops.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const s = sim.stats();
  await sim.close();
  process.stdout.write(`stopped: ${s.connectionsOpened} connections, ${s.framesSent} frames, ${s.restRequests} REST requests\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
