"""xent.jax tests: jax_enable_x64 on (float32 and float64 both run), CPU only."""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
