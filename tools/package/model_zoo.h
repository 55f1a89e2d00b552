// Networks with random weights (fixed seeds) for benchmarks and whole-network tests, as builder
// layer lists. Shapes follow the published models ([Sze17] Table II).
#pragma once
#include "tools/builder/network.h"

#include <cstdint>
#include <vector>

namespace dlvp::zoo {

// The 13 convolution layers of VGG-16 (3x3, pad 1, ReLU; 2x2 max pooling fused after conv1_2,
// conv2_2, conv3_3, conv4_3, conv5_3) on a 3x224x224 input: 15.35 G MACs.
builder::Network vgg16_conv(uint32_t seed = 16);

// A random int8 tensor of `bytes` elements.
std::vector<int8_t> random_tensor(uint64_t bytes, uint32_t seed);

}  // namespace dlvp::zoo
