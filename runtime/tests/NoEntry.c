/*===- NoEntry.c - A shared object without model entries ---------*- C -*-===*
 *
 * Built as a module for retc-runtime-tests: a valid ELF shared object whose
 * only export is this function, so that Model::open reaches the symbol
 * lookup and fails there. It is never called.
 *
 *===----------------------------------------------------------------------===*/
int retc_test_no_entry(void) { return 0; }
