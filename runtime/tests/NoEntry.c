/*===- NoEntry.c - A shared object without model entries ---------*- C -*-===*
 *
 * Built as a module for retc-runtime-tests: a valid ELF shared object whose
 * only export is this function (no model entry, no record of what it was
 * compiled for), so that Model::open loads it and fails on what it lacks.
 * It is never called.
 *
 *===----------------------------------------------------------------------===*/
int retc_test_no_entry(void) { return 0; }
