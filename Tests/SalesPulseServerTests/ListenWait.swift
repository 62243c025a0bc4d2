/// How long a test waits for its HTTP server to listen: a bound against a server that never
/// does, not a measure of speed. The test process runs on two cores beside CPU-bound tests (a
/// million fingerprints, counter-rule folds, in a debug build) that hold both threads of the
/// cooperative pool for half a minute at its start, and the server's task needs one to start:
/// with the 30 s default three server tests failed once in CI (session 60) before their
/// servers had run at all.
let listenWait: Duration = .seconds(300)
