"""
BFloat16 input for Xent (loaded with the BFloat16s package): `BFloat16` arrays call the
`_bf16` functions of libxent, whose math is Float32. Inputs, soft targets, gradients and the
element-wise / softmax outputs stay BFloat16; losses, lse, dloss, logsumexp, lse partials
and option weights are Float32. BFloat16 is 16 bits, the layout of the C `xent_bf16`.
"""
module XentBFloat16sExt

using Xent
using BFloat16s: BFloat16

Xent.storage_type(::Type{BFloat16}) = BFloat16
Xent.acc_type(::Type{BFloat16}) = Float32
Xent.suffix(::Type{BFloat16}) = "bf16"

end # module
