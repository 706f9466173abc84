//===- RetentionAttrs.cpp - retention attributes ----------------*- C++ -*-===//
//
// The decay attribute: parsing, printing and verification (the named
// schedules' values come from DecaySchedules.cpp).
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionAttrs.h"
#include "dialect/RetentionDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::retention;

#include "dialect/RetentionEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/RetentionAttrs.cpp.inc"

void RetentionDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/RetentionAttrs.cpp.inc"
      >();
}

DecayAttr DecayAttr::get(MLIRContext *ctx, DecaySchedule schedule,
                         ArrayRef<double> values) {
  DenseF64ArrayAttr list =
      values.empty() ? DenseF64ArrayAttr() : DenseF64ArrayAttr::get(ctx, values);
  return Base::get(ctx, schedule, list);
}

SmallVector<double> DecayAttr::getGammas(int64_t numHeads) const {
  switch (getSchedule()) {
  case DecaySchedule::RetNet:
    return retnetGammas(numHeads);
  case DecaySchedule::Paper:
    return paperGammas(numHeads);
  case DecaySchedule::Explicit:
    return SmallVector<double>(getValueList());
  }
  llvm_unreachable("unknown decay schedule");
}

LogicalResult DecayAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                DecaySchedule schedule,
                                DenseF64ArrayAttr list) {
  ArrayRef<double> values =
      list ? list.asArrayRef() : ArrayRef<double>();
  if (schedule != DecaySchedule::Explicit) {
    if (!values.empty())
      return emitError() << "decay schedule '" << stringifyEnum(schedule)
                         << "' takes no explicit values";
    return success();
  }
  if (values.empty())
    return emitError() << "explicit decay needs at least one value";
  for (auto [h, g] : llvm::enumerate(values))
    if (!(g > 0.0 && g < 1.0))
      return emitError() << "decay of head " << h << " is " << g
                         << ", expected a value strictly between 0 and 1";
  return success();
}

// #retention.decay<retnet> | <paper> | <[g0, g1, ...]>
Attribute DecayAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  SmallVector<double> values;
  DecaySchedule schedule = DecaySchedule::Explicit;
  if (succeeded(parser.parseOptionalLSquare())) {
    if (failed(parser.parseOptionalRSquare())) {
      if (parser.parseCommaSeparatedList([&]() -> ParseResult {
            double v;
            if (parser.parseFloat(v))
              return failure();
            values.push_back(v);
            return success();
          }) ||
          parser.parseRSquare())
        return {};
    }
  } else {
    StringRef keyword;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&keyword))
      return {};
    auto parsed = symbolizeDecaySchedule(keyword);
    if (!parsed || *parsed == DecaySchedule::Explicit) {
      parser.emitError(loc) << "unknown decay schedule '" << keyword
                            << "', expected 'retnet', 'paper' or [values]";
      return {};
    }
    schedule = *parsed;
  }
  if (parser.parseGreater())
    return {};
  DenseF64ArrayAttr list =
      values.empty() ? DenseF64ArrayAttr()
                     : DenseF64ArrayAttr::get(parser.getContext(), values);
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), schedule, list);
}

void DecayAttr::print(AsmPrinter &printer) const {
  printer << '<';
  if (getSchedule() == DecaySchedule::Explicit) {
    printer << '[';
    llvm::interleaveComma(getValueList(), printer,
                          [&](double v) { printer.printFloat(llvm::APFloat(v)); });
    printer << ']';
  } else {
    printer << stringifyEnum(getSchedule());
  }
  printer << '>';
}
