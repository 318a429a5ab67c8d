// Preloaded (NODE_OPTIONS=--require) into a process the benchmark starts: writes its CPU seconds at exit to LEDGERSYNC_BENCH_CPU_OUT.
process.on('exit', () => {
  const used = process.cpuUsage();
  require('node:fs').writeFileSync(process.env.LEDGERSYNC_BENCH_CPU_OUT, String((used.user + used.system) / 1e6));
});
