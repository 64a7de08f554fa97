// Preloaded into each benchmarked node (NODE_OPTIONS="--import .../preload.mjs") when the bench
// runs with --profile: Node 20 refuses --cpu-prof inside NODE_OPTIONS, and the nodes are spawned
// by the shared ProcessCluster, so this does what --cpu-prof does through the inspector's
// Profiler instead: sample from start-up, write CPU.<pid>.cpuprofile on exit. Same-thread
// inspector sessions answer synchronously, which is what lets this run inside 'exit'.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error && result) writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
