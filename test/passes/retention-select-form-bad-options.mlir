// RUN: not retc-opt %s --retention-select-form=form=fastest 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not retc-opt %s --retention-select-form=form=generic 2>&1 | FileCheck %s --check-prefix=GENERIC
// RUN: not retc-opt %s --retention-select-form=chunk-size=big 2>&1 | FileCheck %s --check-prefix=NUMBER
// RUN: not retc-opt %s --retention-select-form=chunk=8 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// Option values the pass does not know are refused by the option parser.

// FORM: for the --form option: Cannot find option named 'fastest'!
// GENERIC: for the --form option: Cannot find option named 'generic'!
// NUMBER: for the --chunk-size option: 'big' value invalid for long argument!
// UNKNOWN: no such option chunk
func.func @f() {
  return
}
