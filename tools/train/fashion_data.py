"""Fashion-MNIST for dlvp's training scripts: Debian's dataset-fashion-mnist files, read and checked.

Importing this module first also sets OMP_WAIT_POLICY before torch loads its OpenMP runtime.
"""

import gzip
import os
import sys
import time

# The 2 cores are shared with other builds: OpenMP's default spin-waiting then makes 2 threads
# several times slower than 1 (measured 360-580 vs 95-140 ms per step); passive waiting does not.
# It must be set before torch loads the OpenMP runtime; it changes no result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
IMAGE_SIZE = 28
NUM_CLASSES = 10
THREADS = 2
EVAL_BATCH = 1000


def read_idx(path, magic, header_ints):
    """Reads a gzip'd IDX file; returns (dims, payload bytes) after checking the magic number."""
    if not os.path.isfile(path):
        sys.exit(f"error: data file not found: {path}")
    with gzip.open(path, "rb") as f:
        data = f.read()
    header_bytes = 4 * header_ints
    if len(data) < header_bytes:
        sys.exit(f"error: {path}: truncated IDX header ({len(data)} bytes)")
    header = np.frombuffer(data, dtype=">u4", count=header_ints)
    if header[0] != magic:
        sys.exit(f"error: {path}: IDX magic 0x{int(header[0]):08x} at offset 0, expected 0x{magic:08x}")
    return [int(d) for d in header[1:]], data[header_bytes:]


def load_images(path):
    (count, rows, cols), payload = read_idx(path, 0x00000803, 4)
    if (rows, cols) != (IMAGE_SIZE, IMAGE_SIZE) or len(payload) != count * rows * cols:
        sys.exit(f"error: {path}: expected {count} images of {IMAGE_SIZE}x{IMAGE_SIZE}, "
                 f"header says {rows}x{cols} with {len(payload)} payload bytes")
    pixels = np.frombuffer(payload, dtype=np.uint8).reshape(count, 1, rows, cols)
    return pixels.astype(np.float32) / 255.0  # the only preprocessing: pixel / 255


def load_labels(path):
    (count,), payload = read_idx(path, 0x00000801, 2)
    if len(payload) != count:
        sys.exit(f"error: {path}: header says {count} labels, payload has {len(payload)} bytes")
    labels = np.frombuffer(payload, dtype=np.uint8).astype(np.int64)
    if labels.max() >= NUM_CLASSES:
        sys.exit(f"error: {path}: label {labels.max()} out of range 0..{NUM_CLASSES - 1}")
    return labels


def load_split(data_dir, prefix):
    """Images [N, 1, 28, 28] as pixel / 255 and labels [N], as torch tensors."""
    images = load_images(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = load_labels(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if len(images) != len(labels):
        sys.exit(f"error: {data_dir}: {prefix} has {len(images)} images but {len(labels)} labels")
    return torch.from_numpy(images), torch.from_numpy(labels)


def accuracy_percent(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), EVAL_BATCH):
            scores = model(images[start:start + EVAL_BATCH])
            correct += int((scores.argmax(dim=1) == labels[start:start + EVAL_BATCH]).sum())
    return 100.0 * correct / len(images)


def train_epochs(model, data, epochs, generator, learning_rate, batch_size, after_step=None, indent=""):
    """Adam with cosine decay to zero over all steps (the last epoch settles instead of jittering
    by ~1 %), cross-entropy on the logits; after_step() runs after every optimizer step (pruning
    masks). data = (train_x, train_y, test_x, test_y). Prints the test accuracy per epoch; returns
    the seconds spent training (the per-epoch tests not counted)."""
    train_x, train_y, test_x, test_y = data
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    steps_per_epoch = (len(train_x) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    seconds = 0.0
    for epoch in range(1, epochs + 1):
        start = time.monotonic()
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss = 0.0
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(train_x[batch]), train_y[batch])
            loss.backward()
            optimizer.step()
            schedule.step()
            if after_step is not None:
                after_step()
            total_loss += float(loss) * len(batch)
        seconds += time.monotonic() - start
        print(f"{indent}epoch {epoch}/{epochs}: train loss {total_loss / len(order):.4f}, "
              f"test accuracy {accuracy_percent(model, test_x, test_y):.2f}%", flush=True)
    return seconds
