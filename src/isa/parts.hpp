// The pieces of one ISA's KernelTables, each instantiated in its own translation unit so
// that a build compiles them in parallel (as one file they were the slowest of every build).
#pragma once

#include "isa/arch.hpp"
#include "kernels/kernel_table.hpp"

namespace xent::XENT_ISA_NS::kern {
// kernels.cpp: unary kernels, logsumexp and softmax over rows and over an axis.
void fill_kernels(KernelTable<float> &t);
void fill_kernels(KernelTable<double> &t);
// softmax_losses.cpp: softmax CE with soft and sparse targets.
void fill_softmax_losses(KernelTable<float> &t);
void fill_softmax_losses(KernelTable<double> &t);
// elementwise_losses.cpp: sigmoid CE with logits and binary CE.
void fill_elementwise_losses(KernelTable<float> &t);
void fill_elementwise_losses(KernelTable<double> &t);
// categorical_losses.cpp: categorical and sparse categorical CE on probabilities, NLL.
void fill_categorical_losses(KernelTable<float> &t);
void fill_categorical_losses(KernelTable<double> &t);
// half.cpp: the 16-bit conversions and the sparse loss read straight from 16-bit logits.
HalfConvert half_convert_bf16();
HalfConvert half_convert_f16();
}  // namespace xent::XENT_ISA_NS::kern
