// The dlvp accelerator instruction set, version 1 (docs/isa.md). One header shared by the models
// (ip/ifu, ip/cnn), the bare-metal software (sw/) and the tools (builder, compiler).
// Freestanding: only <stdint.h>. Little-endian, fixed 64-byte instructions.
//
// A job is a stream of instructions in DDR. The IFU fetches them in order and dispatches each to
// one of three queues — load (DDR -> on-chip buffer), compute (CNN engine), store (buffer -> DDR)
// — which run concurrently. Dependency tokens between neighbouring queues (VTA style) order them:
// load <-> compute <-> store. An instruction may wait for a token from a neighbour (POP) before it
// starts and send one (PUSH) when it has finished.
#pragma once
#include <stdint.h>

namespace dlvp::isa {

constexpr uint32_t kVersion = 1;
constexpr uint32_t kInstructionBytes = 64;
constexpr uint32_t kArgCount = 8;  // job argument registers (DDR windows)

enum Opcode : uint8_t {
  kOpEnd = 0x00,      // end of job: DONE once every queue has drained
  kOpLoad = 0x01,     // DDR -> buffer (3-D strided block)
  kOpStore = 0x02,    // buffer -> DDR (3-D strided block)
  kOpConv = 0x10,     // a tile of 2-D convolutions, + bias, shift, ReLU, max pooling
  kOpFc = 0x11,       // a matrix-vector tile (fully connected)
  kOpPool = 0x12,     // standalone pooling (max or average)
  kOpEltwise = 0x13,  // element-wise add of two tensors (residual)
};

enum Queue : uint8_t { kQueueLoad = 0, kQueueCompute = 1, kQueueStore = 2, kQueueNone = 3 };
constexpr Queue queue_of(uint8_t opcode) {
  return opcode == kOpLoad ? kQueueLoad
         : opcode == kOpStore ? kQueueStore
         : (opcode == kOpConv || opcode == kOpFc || opcode == kOpPool || opcode == kOpEltwise) ? kQueueCompute
                                                                                                : kQueueNone;
}

// Header.deps: dependency tokens. "prev" of load is nothing, of compute is load, of store is
// compute; "next" of load is compute, of compute is store, of store is nothing.
constexpr uint8_t kPopPrev = 1u << 0;   // wait for a token from the previous queue before starting
constexpr uint8_t kPopNext = 1u << 1;   // wait for a token from the next queue before starting
constexpr uint8_t kPushPrev = 1u << 2;  // send a token to the previous queue when finished
constexpr uint8_t kPushNext = 1u << 3;  // send a token to the next queue when finished

// On-chip buffers of the CNN engine (the DMA's local space).
enum Buffer : uint8_t { kBufInput = 0, kBufWeight = 1, kBufOutput = 2, kBufCount = 3 };

// Header.flags of compute instructions.
constexpr uint16_t kFlagRelu = 1u << 0;      // ReLU on the int8 result
constexpr uint16_t kFlagPool = 1u << 1;      // Conv: max pooling (pool_size, pool_stride) after ReLU
constexpr uint16_t kFlagAccFirst = 1u << 2;  // start accumulators from the bias (else from psum)
constexpr uint16_t kFlagAccLast = 1u << 3;   // produce the int8 output (else write psum back)
constexpr uint16_t kFlagAvgPool = 1u << 4;   // Pool: average instead of max

struct Header {
  uint8_t opcode;
  uint8_t deps;    // kPop*/kPush* bits
  uint16_t flags;  // kFlag* bits (compute instructions)
  uint32_t tag;    // layer id: counts, time and energy are attributed to it
};

// LOAD and STORE: `planes` x `rows` x `row_bytes`. DDR address = ARG_BASE[arg] + ddr_offset (+
// strides), and the whole block must lie inside [ARG_BASE[arg], ARG_BASE[arg] + ARG_SIZE[arg]).
struct Transfer {
  Header header;
  uint8_t buffer;  // Buffer
  uint8_t arg;     // job argument register (< kArgCount)
  uint16_t reserved0;
  uint32_t buffer_offset;
  uint64_t ddr_offset;
  uint32_t planes, rows, row_bytes;
  uint32_t ddr_row_stride, ddr_plane_stride;
  uint32_t buffer_row_stride, buffer_plane_stride;
  uint8_t reserved1[12];
};

// CONV: out[oc][y][x] over a tile. Layouts (bytes in the buffers, little-endian):
//   input   int8  [in_c][in_h][in_w]           at input_offset (input buffer)
//   weights int8  [out_c][in_c][kernel_h][kernel_w] at weight_offset (weight buffer)
//   bias    int32 [out_c]                      at bias_offset (weight buffer; read with AccFirst)
//   psum    int32 [out_c][out_h][out_w]        at psum_offset (output buffer; read unless AccFirst,
//                                              written unless AccLast)
//   output  int8  [out_c][pool_h][pool_w]      at output_offset (output buffer; with AccLast)
// out_h = (in_h + pad_top + pad_bottom - kernel_h) / stride_h + 1 (likewise out_w); padding is 0.
// Arithmetic (docs/isa.md): acc = (AccFirst ? bias << bias_shift : psum) + sum(in * w), saturated
// to the engine's accumulator width; with AccLast: y = sat8(round_shift(acc, output_shift)),
// ReLU, then max pooling; pool_h = (out_h - pool_size) / pool_stride + 1.
struct Conv {
  Header header;
  uint32_t input_offset;
  uint16_t in_h, in_w, in_c, out_c;
  uint32_t weight_offset;
  uint32_t bias_offset;
  uint32_t psum_offset;
  uint32_t output_offset;
  uint8_t kernel_h, kernel_w, stride_h, stride_w;
  uint8_t pad_top, pad_left, pad_bottom, pad_right;
  int8_t bias_shift;    // 0..31: bias is shifted left into the accumulator's radix point
  int8_t output_shift;  // -31..31: right shift with rounding (negative: left shift)
  uint8_t pool_size, pool_stride;
  uint8_t reserved[16];
};

// FC: out[o] = sum_i in[i] * w[o][i]. input int8 [n_in] (input buffer), weights int8 [n_out][n_in]
// (weight buffer), bias int32 [n_out], psum int32 [n_out], output int8 [n_out]. Same flags and
// arithmetic as CONV (no pooling).
struct Fc {
  Header header;
  uint32_t input_offset;
  uint32_t n_in, n_out;
  uint32_t weight_offset;
  uint32_t bias_offset;
  uint32_t psum_offset;
  uint32_t output_offset;
  int8_t bias_shift, output_shift;
  uint8_t reserved[26];
};

// POOL: int8 [c][in_h][in_w] from `source` buffer at input_offset -> int8 [c][out_h][out_w] at
// output_offset (output buffer). out_h = (in_h + pad_top + pad_bottom - size) / stride + 1.
// Max: padding never wins. Average (kFlagAvgPool): sum of the non-padding elements divided by
// their count, rounded half up. kFlagRelu applies after.
struct Pool {
  Header header;
  uint8_t source;  // Buffer: kBufInput or kBufOutput
  uint8_t size, stride;
  uint8_t pad_top, pad_left, pad_bottom, pad_right;
  uint8_t reserved0;
  uint32_t input_offset, output_offset;
  uint16_t c, in_h, in_w, reserved1;
  uint8_t reserved[32];
};

// ELTWISE: y[i] = sat8(round_shift((a[i] << a_shift) + (b[i] << b_shift), output_shift)), ReLU
// with kFlagRelu. a, b int8 [count] in the input buffer; y int8 [count] in the output buffer.
struct Eltwise {
  Header header;
  uint32_t a_offset, b_offset, output_offset;
  uint32_t count;
  uint8_t a_shift, b_shift;  // 0..15
  int8_t output_shift;
  uint8_t reserved[37];
};

union Instruction {
  Header header;
  Transfer transfer;
  Conv conv;
  Fc fc;
  Pool pool;
  Eltwise eltwise;
  uint8_t bytes[kInstructionBytes];
};

static_assert(sizeof(Header) == 8, "header layout");
static_assert(sizeof(Transfer) == kInstructionBytes, "LOAD/STORE layout");
static_assert(sizeof(Conv) == kInstructionBytes, "CONV layout");
static_assert(sizeof(Fc) == kInstructionBytes, "FC layout");
static_assert(sizeof(Pool) == kInstructionBytes, "POOL layout");
static_assert(sizeof(Eltwise) == kInstructionBytes, "ELTWISE layout");
static_assert(sizeof(Instruction) == kInstructionBytes, "instruction size");

// Why a job stopped (IFU ERROR_CODE).
enum ErrorCode : uint32_t {
  kErrNone = 0,
  kErrUnknownOpcode = 1,   // opcode not in this ISA
  kErrBadField = 2,        // a field out of range (zero size, kernel 0, stride 0, bad buffer id, ...)
  kErrBufferOverrun = 3,   // an access outside an on-chip buffer
  kErrAddressWindow = 4,   // a DDR access outside its argument window
  kErrTokenDeadlock = 5,   // a queue waits for a token that can never come
  kErrDmaError = 6,        // the DMA reported an error (bus error) during LOAD/STORE
  kErrFetchError = 7,      // fetching the instruction stream failed (bus error)
  kErrBadDeps = 8,         // POP/PUSH toward a queue that does not exist (load's prev, store's next)
  kErrNoEnd = 9,           // INSTR_COUNT instructions without an END
};

}  // namespace dlvp::isa
