/**
 * Jest setup (every test file, before its modules load): the handlers' Powertools logger is created at
 * module scope and reads its level from POWERTOOLS_LOG_LEVEL, so unit tests that drive failure paths
 * would print expected ERROR lines and stack traces into a passing run. Silent unless a run asks for
 * logs (`POWERTOOLS_LOG_LEVEL=DEBUG npx jest …`). Tests that care about a log line spy on the logger
 * and assert it. Local-cloud functions are unaffected: their environment comes from the catalog.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
