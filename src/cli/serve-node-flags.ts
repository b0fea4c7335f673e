// The Node flags a gateway (`hookgate serve`) is started with. They must be on node's command line
// (V8 sizes its heap before any of our code runs), so every launcher passes them: `npm start`, the
// `hookgate` command's own first line (`env -S`), deploy/hookgate.service, deploy/docker-entrypoint.sh,
// the test helper that starts gateway processes and the bench.
//
// --max-semi-space-size: under a sustained request rate V8 keeps doubling its young generation, up
// to 16 MiB per semi-space by default, and keeps it while the rate lasts; a flood of forged
// signatures at 1,000 req/s then grew the gateway by 37–49 MiB instead of 11–25 (G-SIG-1's bound is
// 32). At 4 MiB the young generation stays smaller for a few percent more CPU per request in
// scavenges (measured in bench/README.md); the spawner runs with 1 MiB for the same reason.
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
