#include "tools/builder/lstm_program_parts.h"

namespace dlvp::builder::lstm_parts {

isa::Instruction blank(uint8_t opcode, uint8_t deps, uint32_t tag) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  in.header.opcode = opcode;
  in.header.deps = deps;
  in.header.tag = tag;
  return in;
}

isa::Instruction transfer(uint8_t opcode, uint8_t deps, uint32_t tag, isa::Buffer buffer, uint64_t buffer_offset,
                          uint8_t arg, uint64_t ddr_offset, uint32_t rows, uint64_t row_bytes, uint64_t ddr_stride,
                          uint64_t buffer_stride) {
  isa::Instruction in = blank(opcode, deps, tag);
  isa::Transfer& t = in.transfer;
  t.buffer = buffer;
  t.arg = arg;
  t.buffer_offset = static_cast<uint32_t>(buffer_offset);
  t.ddr_offset = ddr_offset;
  t.planes = 1;
  t.rows = rows;
  t.row_bytes = static_cast<uint32_t>(row_bytes);
  t.ddr_row_stride = static_cast<uint32_t>(ddr_stride);
  t.buffer_row_stride = static_cast<uint32_t>(buffer_stride);
  return in;
}

isa::Instruction linear(uint8_t opcode, uint8_t deps, uint32_t tag, uint64_t buffer_offset, uint8_t arg,
                        uint64_t ddr_offset, uint64_t bytes) {
  return transfer(opcode, deps, tag, isa::kBufLstmVector, buffer_offset, arg, ddr_offset, 1, bytes, bytes, bytes);
}

isa::Instruction spmv_instruction(const MatrixPass& pass, size_t k, uint32_t weight_offset, uint64_t acc,
                                  uint32_t channels) {
  const Chunk& c = pass.chunks[k];
  const bool first = k == 0, last = k + 1 == pass.chunks.size();
  isa::Instruction in = blank(isa::kOpLstmSpmv, 0, pass.tag);
  isa::LstmSpmv& s = in.lstm_spmv;
  s.header.flags = static_cast<uint16_t>((first ? pass.first_flags : 0) | (last ? pass.last_flags : 0));
  s.weight_offset = weight_offset;
  s.chunk_bytes = c.bytes;
  s.rows = pass.rows;
  s.first_col = static_cast<uint16_t>(c.first_col);
  s.cols = static_cast<uint16_t>(c.cols);
  s.input_offset = static_cast<uint32_t>(pass.input);
  s.input_stride = pass.input_stride;
  s.acc_offset = static_cast<uint32_t>(acc);
  s.bias_offset = static_cast<uint32_t>(pass.bias);
  s.output_offset = static_cast<uint32_t>(pass.output);
  s.channels = static_cast<uint16_t>(channels);
  s.product_shift = static_cast<uint8_t>(pass.product_shift);
  s.output_shift = static_cast<int8_t>(pass.output_shift);
  return in;
}

}  // namespace dlvp::builder::lstm_parts
