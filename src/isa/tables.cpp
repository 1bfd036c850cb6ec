// xent::tables_<isa>(): this ISA's KernelTables, assembled once from its parts.
#include "isa/parts.hpp"

namespace xent {
#define XENT_TABLES_FUNCTION(name) XENT_TABLES_FUNCTION_(name)
#define XENT_TABLES_FUNCTION_(name) tables_##name
#define XENT_STRING(name) XENT_STRING_(name)
#define XENT_STRING_(name) #name

const KernelTables *XENT_TABLES_FUNCTION(XENT_ISA_NAME)() {
  static const KernelTables tables = [] {
    using namespace XENT_ISA_NS::kern;
    KernelTables t{XENT_STRING(XENT_ISA_NAME), {}, {}, {half_convert_bf16(), half_convert_f16()}};
    fill_kernels(t.f32), fill_softmax_losses(t.f32), fill_elementwise_losses(t.f32), fill_categorical_losses(t.f32);
    fill_kernels(t.f64), fill_softmax_losses(t.f64), fill_elementwise_losses(t.f64), fill_categorical_losses(t.f64);
    return t;
  }();
  return &tables;
}
}  // namespace xent
