// RUN: not retc-opt %s --retention-convert-form=to=auto 2>&1 | FileCheck %s --check-prefix=AUTO
// RUN: not retc-opt %s --retention-convert-form=to=Parallel 2>&1 | FileCheck %s --check-prefix=CASE
// RUN: not retc-opt %s --retention-convert-form=chunk-size=1.5 2>&1 | FileCheck %s --check-prefix=NUMBER
// RUN: not retc-opt %s --retention-convert-form=form=parallel 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// `auto` is a choice of retention-select-form, not a form to convert into.

// AUTO: for the --to option: Cannot find option named 'auto'!
// CASE: for the --to option: Cannot find option named 'Parallel'!
// NUMBER: for the --chunk-size option: '1.5' value invalid for long argument!
// UNKNOWN: no such option form
func.func @f() {
  return
}
