// The steps of include/xent/xent_vocab_parallel.h by element and label type, for C++
// drivers of the protocol (xent_mpi, the vocabulary-parallel linear loss): Steps<S, L>
// names the C entry points of one shard and label type.
#pragma once

#include "xent/xent_vocab_parallel.h"

namespace xent::vocab {

template <class T, class L> struct Steps;
template <> struct Steps<float, int64_t> {
  static constexpr auto forward = xent_vocab_parallel_forward_f32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_f32;
  static constexpr auto grad = xent_vocab_parallel_grad_f32;
};
template <> struct Steps<float, int32_t> {
  static constexpr auto forward = xent_vocab_parallel_forward_f32_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_f32_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_f32_i32;
};
template <> struct Steps<double, int64_t> {
  static constexpr auto forward = xent_vocab_parallel_forward_f64;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f64;
  static constexpr auto loss = xent_vocab_parallel_loss_f64;
  static constexpr auto grad = xent_vocab_parallel_grad_f64;
};
template <> struct Steps<double, int32_t> {
  static constexpr auto forward = xent_vocab_parallel_forward_f64_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f64;
  static constexpr auto loss = xent_vocab_parallel_loss_f64_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_f64_i32;
};
template <> struct Steps<xent_bf16, int64_t> {  // f32 partials: the f32 rescale
  static constexpr auto forward = xent_vocab_parallel_forward_bf16;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_bf16;
  static constexpr auto grad = xent_vocab_parallel_grad_bf16;
};
template <> struct Steps<xent_bf16, int32_t> {  // f32 partials: the f32 rescale
  static constexpr auto forward = xent_vocab_parallel_forward_bf16_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_bf16_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_bf16_i32;
};
template <> struct Steps<xent_f16, int64_t> {  // f32 partials: the f32 rescale
  static constexpr auto forward = xent_vocab_parallel_forward_f16;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_f16;
  static constexpr auto grad = xent_vocab_parallel_grad_f16;
};
template <> struct Steps<xent_f16, int32_t> {  // f32 partials: the f32 rescale
  static constexpr auto forward = xent_vocab_parallel_forward_f16_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_f16_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_f16_i32;
};

}  // namespace xent::vocab
