"""
    Xent

Julia bindings to libxent (SIMD CPU cross-entropy losses and exp/log/softmax kernels) over its
C ABI with `ccall`. Mirrors the Python binding. Julia arrays are column-major, so the class
axis is the second-to-last dimension: losses take `(C, B)` or `(d..., C, B)` arrays (Flux's
layout, the C library's row-major `(B, C, d...)`), labels `(B,)` or `(d..., B)` with
**0-based** class indices; row kernels work along the first dimension.
Float32 input computes in Float32, Float16 (and BFloat16 with the BFloat16s package loaded)
calls the 16-bit functions (Float32 math; losses, lse, dloss and weights are Float32), any
other input computes in Float64. With ChainRulesCore loaded, the losses have `rrule`s (so
Zygote differentiates them) through the `_backward` functions.

libxent is looked up in `ENV["XENT_LIBRARY"]` (a file), `ENV["XENT_LIB_DIR"]` (a directory),
the repository's `build/` directory, then the system's library path.
"""
module Xent

using Libdl

export XentError, version, simd_isa, set_num_threads, get_num_threads,
       sigmoid_ce_with_logits, softmax_ce_with_logits, sparse_softmax_ce_with_logits,
       binary_ce, categorical_ce, sparse_categorical_ce, nll_loss

const NO_IGNORE = typemin(Int64)  # XENT_NO_IGNORE
const STATUS_NAMES = ("NULL_POINTER", "INVALID_SHAPE", "INVALID_ARGUMENT", "LABEL_OUT_OF_RANGE",
                      "OUT_OF_MEMORY", "INTERNAL")
const INVALID_SHAPE, INVALID_ARGUMENT = 2, 3

"A failed call: `status` is the xent_status, `message` the library's explanation."
struct XentError <: Exception
    status::Int
    message::String
end

Base.showerror(io::IO, e::XentError) =
    print(io, "XentError: ", e.message, " [", get(STATUS_NAMES, e.status, "status $(e.status)"), "]")

# ------------------------------------------------------------------ the library

const HANDLE = Ref{Ptr{Cvoid}}(C_NULL)
const SYMBOLS = Dict{Symbol,Ptr{Cvoid}}()
const LIBNAME = "libxent." * Libdl.dlext

"Where libxent is loaded from."
function library_path()
    haskey(ENV, "XENT_LIBRARY") && return ENV["XENT_LIBRARY"]
    haskey(ENV, "XENT_LIB_DIR") && return joinpath(ENV["XENT_LIB_DIR"], LIBNAME)
    repo = joinpath(@__DIR__, "..", "..", "..", "build", LIBNAME)
    return isfile(repo) ? repo : "libxent"
end

function sym(name::Symbol)
    get!(SYMBOLS, name) do
        HANDLE[] == C_NULL && (HANDLE[] = Libdl.dlopen(library_path()))
        Libdl.dlsym(HANDLE[], name)
    end
end

function check(status::Cint)
    status == 0 && return nothing
    throw(XentError(status, unsafe_string(ccall(sym(:xent_last_error), Cstring, ()))))
end

ptr(a) = a === nothing ? C_NULL : Ptr{Cvoid}(pointer(a))

# Element types. storage_type: what an input of element type T is passed as (Float32 and
# Float16 as they are, anything else as Float64; XentBFloat16sExt adds BFloat16). acc_type:
# the type of the losses, dloss, lse, logsumexp, lse partials and option weights of a call
# on that storage type (Float32 for the 16-bit types). suffix: the C functions' suffix.
storage_type(::Type) = Float64
storage_type(::Type{Float32}) = Float32
storage_type(::Type{Float16}) = Float16
acc_type(::Type{T}) where {T} = T
acc_type(::Type{Float16}) = Float32
suffix(::Type{Float32}) = "f32"
suffix(::Type{Float64}) = "f64"
suffix(::Type{Float16}) = "f16"
"x as a dense Array of its storage type (Float32, Float16, BFloat16 or Float64)."
floats(x) = convert(Array{storage_type(eltype(x))}, x)

"The library's version, \"MAJOR.MINOR.PATCH\"."
version() = unsafe_string(ccall(sym(:xent_version), Cstring, ()))
"The SIMD path in use: \"avx512\", \"avx2\", \"sse2\", \"neon\" or \"scalar\"."
simd_isa() = unsafe_string(ccall(sym(:xent_simd_isa), Cstring, ()))
"Threads used by later calls; 0 restores the default."
set_num_threads(n::Integer) = ccall(sym(:xent_set_num_threads), Cvoid, (Cint,), n)
"Threads that calls use."
get_num_threads() = Int(ccall(sym(:xent_get_num_threads), Cint, ()))

# ---------------------------------------------------------------------- losses

"struct xent_options (include/xent/xent.h)."
mutable struct Options
    struct_size::Csize_t
    reduction::Cint
    label_smoothing::Cdouble
    epsilon::Cdouble
    class_weights::Ptr{Cvoid}
    pos_weight::Ptr{Cvoid}
    sample_weights::Ptr{Cvoid}
    ignore_index::Int64
    inner::Int64
    z_loss::Cdouble
    logit_softcap::Cdouble
    num_threads::Cint
    # appended in 0.2
    lse_out::Ptr{Cvoid}
    focal_gamma::Cdouble
    focal_alpha::Cdouble
    poly_epsilon::Cdouble
    Options() = new()
end

const REDUCTIONS = Dict(:none => 0, :sum => 1, :mean => 2)

function reduction_code(name, r)
    r isa Integer && return Int(r)
    haskey(REDUCTIONS, Symbol(r)) ||
        throw(XentError(INVALID_ARGUMENT, "xent_$name: reduction $(repr(r)) is not :none, :sum or :mean"))
    return REDUCTIONS[Symbol(r)]
end

"A weight vector as a dense Vector{T} of `n` elements, or nothing."
function weights(name, what, w, T, n)
    w === nothing && return nothing
    v = convert(Vector{T}, vec(w))
    length(v) == n || throw(XentError(INVALID_SHAPE, "xent_$name: $what has $(length(v)) elements, expected $n"))
    return v
end

# One forward call, or (dloss given) the backward call returning dloss .* d(loss)/d(input).
function loss(name, sparse, elementwise, input, target; reduction=:none, label_smoothing=nothing,
              epsilon=nothing, class_weights=nothing, pos_weight=nothing, sample_weights=nothing,
              ignore_index=nothing, z_loss=nothing, logit_softcap=nothing, num_threads=nothing, grad=false,
              focal_gamma=nothing, focal_alpha=nothing, poly_epsilon=nothing, return_lse=false,
              dloss=nothing, lse=nothing)
    x = floats(input)
    T = eltype(x)      # input, soft targets and grad
    A = acc_type(T)    # loss, dloss, lse and weights
    ndims(x) >= 2 || throw(XentError(INVALID_SHAPE, "xent_$name: input has size $(size(x)), expected (C, B) or (d..., C, B)"))
    dims = size(x)
    classes, batch, inner = dims[end-1], dims[end], prod(dims[1:end-2]; init=1)
    sample_dims = (dims[1:end-2]..., batch)
    if sparse
        t = eltype(target) == Int32 ? Array{Int32}(target) : convert(Array{Int64}, target)
        fname = "xent_$(name)_$(suffix(T))" * (eltype(t) == Int32 ? "_i32" : "")
    else
        t = convert(Array{T}, target)
        fname = "xent_$(name)_$(suffix(T))"
    end
    size(t) == (sparse ? sample_dims : dims) ||
        throw(XentError(INVALID_SHAPE, "xent_$name: target has size $(size(t)), expected $(sparse ? sample_dims : dims)"))

    o = Options()
    ccall(sym(:xent_options_init), Cvoid, (Ref{Options},), o)
    o.reduction = reduction_code(name, reduction)
    o.inner = inner
    label_smoothing === nothing || (o.label_smoothing = label_smoothing)
    epsilon === nothing || (o.epsilon = epsilon)
    ignore_index === nothing || (o.ignore_index = ignore_index)
    z_loss === nothing || (o.z_loss = z_loss)
    logit_softcap === nothing || (o.logit_softcap = logit_softcap)
    num_threads === nothing || (o.num_threads = num_threads)
    focal_gamma === nothing || (o.focal_gamma = focal_gamma)
    focal_alpha === nothing || (o.focal_alpha = focal_alpha)
    poly_epsilon === nothing || (o.poly_epsilon = poly_epsilon)
    cw = weights(name, "class_weights", class_weights, A, classes)
    pw = weights(name, "pos_weight", pos_weight, A, classes)
    sw = weights(name, "sample_weights", sample_weights, A, batch * inner)

    loss_dims = o.reduction == 0 ? (elementwise ? dims : sample_dims) : ()
    if dloss !== nothing
        up = dloss isa AbstractArray ? convert(Array{A}, dloss) : fill(A(dloss))
        size(up) == loss_dims || length(up) == 1 == prod(loss_dims; init=1) ||
            throw(XentError(INVALID_SHAPE, "xent_$(name)_backward: dloss has size $(size(up)), expected $loss_dims"))
        saved = lse === nothing ? nothing : convert(Array{A}, lse)
        saved === nothing || length(saved) == prod(sample_dims) ||
            throw(XentError(INVALID_SHAPE, "xent_$(name)_backward: lse has size $(size(saved)), expected $sample_dims"))
        g = similar(x)
        bname = replace(fname, "xent_$(name)_" => "xent_$(name)_backward_")
        GC.@preserve x t cw pw sw up saved g begin
            o.class_weights, o.pos_weight, o.sample_weights = ptr(cw), ptr(pw), ptr(sw)
            check(ccall(sym(Symbol(bname)), Cint,
                        (Ptr{Cvoid}, Ptr{Cvoid}, Int64, Int64, Ref{Options}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}),
                        ptr(x), ptr(t), batch, classes, o, ptr(up), ptr(saved), ptr(g)))
        end
        return g
    end
    out = o.reduction == 0 ? Array{A}(undef, loss_dims) : Array{A}(undef)
    g = grad ? similar(x) : nothing
    row_lse = return_lse ? Array{A}(undef, sample_dims) : nothing
    GC.@preserve x t cw pw sw out g row_lse begin
        o.class_weights, o.pos_weight, o.sample_weights, o.lse_out = ptr(cw), ptr(pw), ptr(sw), ptr(row_lse)
        check(ccall(sym(Symbol(fname)), Cint,
                    (Ptr{Cvoid}, Ptr{Cvoid}, Int64, Int64, Ref{Options}, Ptr{Cvoid}, Ptr{Cvoid}),
                    ptr(x), ptr(t), batch, classes, o, ptr(out), ptr(g)))
    end
    result = o.reduction == 0 ? out : out[]
    extra = ((grad ? (g,) : ())..., (return_lse ? (row_lse,) : ())...)
    return isempty(extra) ? result : (result, extra...)
end

for (name, sparse, elementwise, summary) in (
        (:sigmoid_ce_with_logits, false, true, "element-wise max(x,0) - x*t + log1p(exp(-|x|)) on logits"),
        (:softmax_ce_with_logits, false, false, "per sample -sum_c t_c log_softmax(x)_c"),
        (:sparse_softmax_ce_with_logits, true, false, "per sample lse(x) - x[label] (0-based labels)"),
        (:binary_ce, false, true, "element-wise -(t log q + (1-t) log(1-q)), q = clip(p, eps, 1-eps)"),
        (:categorical_ce, false, false, "per sample -sum_c t_c log q_c, q = clip(p / sum(p), eps, 1-eps)"),
        (:sparse_categorical_ce, true, false, "per sample -log q[label], q = clip(p / sum(p), eps, 1-eps)"),
        (:nll_loss, true, false, "per sample -w[label] * input[label] on log-probabilities (0-based labels)"))
    doc = """
        $name(input, target; reduction=:none, grad=false, options...)

    The loss $summary. Options: `label_smoothing`, `epsilon`, `class_weights`, `pos_weight`,
    `sample_weights`, `ignore_index`, `z_loss`, `logit_softcap`, `focal_gamma`, `focal_alpha`,
    `poly_epsilon`, `num_threads` (`nothing` keeps the library default). Returns the losses (a
    scalar for `:sum` / `:mean`), or `(loss, grad)` with `grad=true`, the per-sample lse last with
    `return_lse=true`. An option that does not apply to this variant throws `XentError`.
    """
    @eval @doc $doc $name(input, target; kw...) = loss($(QuoteNode(name)), $sparse, $elementwise, input, target; kw...)
    backward = Symbol(name, :_backward)
    bdoc = """
        $backward(input, target, dloss; lse=nothing, reduction=:none, options...)

    `dloss .* d($name)/d(input)` in one pass; `dloss` has the loss's size (a scalar for `:sum` /
    `:mean`), `lse` is `nothing` or the per-sample lse of the forward called with
    `return_lse=true` (softmax-with-logits variants). The options must be the forward's.
    """
    @eval @doc $bdoc $backward(input, target, dloss; kw...) =
        loss($(QuoteNode(name)), $sparse, $elementwise, input, target; dloss=dloss, kw...)
    @eval export $backward
end

# --------------------------------------------------------------------- kernels
# Not exported: `Xent.exp` etc. would clash with Base.

for name in (:exp, :log, :log1p, :sigmoid, :softplus, :log_sigmoid)
    @eval function $name(input::AbstractArray)
        x = floats(input)
        y = similar(x)
        GC.@preserve x y check(ccall(sym(Symbol("xent_", $(QuoteNode(name)), "_", suffix(eltype(x)))), Cint,
                                     (Ptr{Cvoid}, Ptr{Cvoid}, Int64), ptr(x), ptr(y), length(x)))
        return y
    end
end

"(rows, cols) of x with rows along the first dimension."
cols_rows(x) = (size(x, 1), prod(size(x)[2:end]; init=1))

for (name, same_size) in ((:logsumexp, false), (:softmax, true), (:log_softmax, true))
    @eval function $name(input::AbstractArray)
        x = floats(input)
        cols, rows = cols_rows(x)
        out = $same_size ? similar(x) : Array{acc_type(eltype(x))}(undef, size(x)[2:end])
        GC.@preserve x out check(ccall(sym(Symbol("xent_", $(QuoteNode(name)), "_", suffix(eltype(x)))), Cint,
                                       (Ptr{Cvoid}, Int64, Int64, Ptr{Cvoid}), ptr(x), rows, cols, ptr(out)))
        return out
    end
end

"Partial lse of a shard of each column: `(max, sum)` with `sum = sum(exp.(x .- max))`."
function lse_partial(input::AbstractArray)
    x = floats(input)
    cols, rows = cols_rows(x)
    mx, sm = (Array{acc_type(eltype(x))}(undef, size(x)[2:end]) for _ in 1:2)
    GC.@preserve x mx sm check(ccall(sym(Symbol("xent_lse_partial_", suffix(eltype(x)))), Cint,
                                     (Ptr{Cvoid}, Int64, Int64, Ptr{Cvoid}, Ptr{Cvoid}), ptr(x), rows, cols, ptr(mx), ptr(sm)))
    return mx, sm
end

"The lse of whole columns from partials stacked along the last dimension `(..., parts)`
(partials of 16-bit input are Float32 and merge in Float32)."
function lse_merge(max::AbstractArray, sum::AbstractArray)
    mx = convert(Array{acc_type(storage_type(eltype(max)))}, max)
    sm = convert(Array{eltype(mx)}, sum)
    size(sm) == size(mx) || throw(XentError(INVALID_SHAPE, "xent_lse_merge: max and sum sizes differ"))
    out = Array{eltype(mx)}(undef, size(mx)[1:end-1])
    GC.@preserve mx sm out check(ccall(sym(Symbol("xent_lse_merge_", suffix(eltype(mx)))), Cint,
                                       (Ptr{Cvoid}, Ptr{Cvoid}, Int64, Int64, Ptr{Cvoid}),
                                       ptr(mx), ptr(sm), size(mx)[end], length(out), ptr(out)))
    return out
end

end # module
