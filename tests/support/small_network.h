// The smallest network a package test needs: one 3x3 convolution, 4 -> 8 channels on 8 x 8
// (padding 1), all weights 1, no bias.
#pragma once
#include "tools/builder/network.h"

#include <string>

namespace dlvp::test {

inline builder::Network one_conv_network(const std::string& layer_name = "conv") {
  builder::ConvLayer conv;
  conv.name = layer_name;
  conv.in_c = 4, conv.in_h = 8, conv.in_w = 8, conv.out_c = 8;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_left = conv.pad_bottom = conv.pad_right = 1;
  conv.weights.assign(size_t{8} * 4 * 9, 1);
  conv.bias.assign(8, 0);
  builder::Network net;
  net.add(conv);
  return net;
}

}  // namespace dlvp::test
