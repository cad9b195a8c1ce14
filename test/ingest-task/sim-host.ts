/**
 * Child-process host for the simulator (see sim-process.ts): the simulator gets its own event
 * loop, so a heavy simulated market does not slow the ingest under test. Answers
 * `{id, method, args}` messages with `{id, result}` or `{id, error}`.
 */
import { startSimulator, type SimOptions, type Simulator } from '../../sim/index';

let sim: Simulator | undefined;

type Call = { id: number; method: string; args: unknown[] };

async function handle(call: Call): Promise<unknown> {
  if (call.method === 'start') {
    sim = await startSimulator(call.args[0] as SimOptions);
    return { restUrl: sim.restUrl, streamUrl: sim.streamUrl, options: sim.options };
  }
  if (!sim) throw new Error('simulator not started');
  const s = sim as unknown as Record<string, (...a: unknown[]) => unknown>;
  const result = await s[call.method](...call.args);
  if (call.method === 'close') setImmediate(() => process.exit(0));
  return result;
}

process.on('message', (call: Call) => {
  handle(call).then(
    (result) => process.send?.({ id: call.id, result }),
    (e: unknown) => process.send?.({ id: call.id, error: (e as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));
