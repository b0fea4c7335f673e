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
//
// --no-maglev: V8's mid-tier compiler compiles on background threads, and the memory of those
// compilations stays with glibc's arenas: the first thousand requests of a flood grew the gateway by
// 10–24 MiB (31 once, 38 in a CI run) that never went back, most of it in the compiler threads'
// arenas, none in the JavaScript heap. Without Maglev (hot code goes from the baseline tier straight
// to TurboFan, as in Node 20) the same flood grows it by 2–4 MiB, and side by side the reject path,
// CPU per run and start-up time did not get worse (bench/README.md).
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--no-maglev']
