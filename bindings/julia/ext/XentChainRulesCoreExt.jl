"""
ChainRulesCore `rrule`s for Xent's losses (loaded with ChainRulesCore, so Zygote and other
ChainRules-based AD differentiate them). The forward is one library call (the softmax-with-
logits variants also save each sample's lse); the pullback is one call of the `_backward`
function with the cotangent as `dloss` and the saved lse, with the same keyword options.

The cotangent of the input is exact; integer labels get `NoTangent()`; soft targets get
`@not_implemented` (the library computes no gradient with respect to them). The rules
cover the plain call returning the loss: with `grad=true` or `return_lse=true` (tuples) the
rrule throws an `ArgumentError`; differentiate the plain call instead.
"""
module XentChainRulesCoreExt

using Xent
using ChainRulesCore

# (loss, sparse labels?, saves the lse?)
const LOSSES = ((:sigmoid_ce_with_logits, false, false),
                (:softmax_ce_with_logits, false, true),
                (:sparse_softmax_ce_with_logits, true, true),
                (:binary_ce, false, false),
                (:categorical_ce, false, false),
                (:sparse_categorical_ce, true, false),
                (:nll_loss, true, false))

for (name, sparse, saves_lse) in LOSSES
    backward = Symbol(name, :_backward)
    target_tangent = sparse ? :(NoTangent()) :
        :(@not_implemented("libxent computes no gradient with respect to the soft targets"))
    @eval function ChainRulesCore.rrule(::typeof(Xent.$name), input::AbstractArray, target::AbstractArray;
                                        grad::Bool=false, return_lse::Bool=false, kw...)
        (grad || return_lse) &&
            throw(ArgumentError($(string(name)) * ": the rrule covers the call returning the loss only " *
                                "(not grad=true / return_lse=true)"))
        project_input = ProjectTo(input)
        if $saves_lse
            y, lse = Xent.$name(input, target; return_lse=true, kw...)
        else
            y, lse = Xent.$name(input, target; kw...), nothing
        end
        function $(Symbol(name, :_pullback))(ȳ)
            dy = unthunk(ȳ)
            dt = $target_tangent
            dy isa AbstractZero && return (NoTangent(), ZeroTangent(), dt)
            dx = Xent.$backward(input, target, dy; lse=lse, kw...)
            return (NoTangent(), project_input(dx), dt)
        end
        return y, $(Symbol(name, :_pullback))
    end
end

end # module
