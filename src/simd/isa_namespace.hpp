// Every ISA's kernels are the same templates compiled with different flags. Inline code
// instantiated in two such translation units would be merged by the linker, and the AVX2
// copy could then run on a CPU without AVX2. So each ISA library compiles the kernels
// inside its own namespace, set by meson: -DXENT_ISA_NS=isa_avx2 and so on.
#pragma once
#ifndef XENT_ISA_NS
#define XENT_ISA_NS isa_default
#endif
