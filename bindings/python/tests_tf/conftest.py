"""TensorFlow / Keras oracle suite: `import xent` from bindings/python, TensorFlow quiet and on
the CPU, float64 Keras losses available. Run by scripts/suites/35-tf-keras.sh in its own venv."""
import os
import pathlib
import sys
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TF's own reference arithmetic, no oneDNN reorderings
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

here = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent))  # xent
sys.path.insert(0, str(here))         # _oracle

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import xent  # noqa: E402


def pytest_report_header(config):
    return (f"tensorflow {tf.__version__}, keras {keras.__version__} ({keras.backend.backend()}), "
            f"numpy {np.__version__}, xent {xent.version()} ({xent.simd_isa()}) from {xent.library_path()}")


@pytest.fixture
def rng(request):
    """A generator seeded from the test's id, so every test has its own fixed inputs."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
