// The dlvp accelerator instruction set, version 3 (docs/isa.md). One header shared by the models
// (ip/ifu, ip/cnn, ip/lstm), the bare-metal software (sw/) and the tools (builder, compiler).
// Version 2 adds the sparse LSTM engine (LSTM_SPMV, LSTM_GATES, its two buffers, kErrBadStream);
// every version-1 instruction keeps its encoding and meaning. Version 3 keeps every version-2
// encoding and meaning; its new fields are 0 in older programs and mean "off" (grouped CONV,
// activations and Mul, per-channel output shifts).
// Freestanding: only <stdint.h>. Little-endian, fixed 64-byte instructions.
//
// A job is a stream of instructions in DDR. The IFU fetches them in order and dispatches each to
// one of three queues — load (DDR -> on-chip buffer), compute (the CNN or the LSTM engine, by
// opcode), store (buffer -> DDR)
// — which run concurrently. Dependency tokens between neighbouring queues (VTA style) order them:
// load <-> compute <-> store. An instruction may wait for a token from a neighbour (POP) before it
// starts and send one (PUSH) when it has finished.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace dlvp::isa {

constexpr uint32_t kVersion = 3;
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
  kOpLstmSpmv = 0x20,   // LSTM engine: one sparse matrix-vector product (one matrix, one step, a column range)
  kOpLstmGates = 0x21,  // LSTM engine: the element-wise stage of one time step (gates, c_t, h_t)
  kOpGruGates = 0x22,   // LSTM engine: a GRU time step's element-wise stage (version 3, GRU)
};

constexpr bool is_cnn_opcode(uint8_t opcode) {
  return opcode == kOpConv || opcode == kOpFc || opcode == kOpPool || opcode == kOpEltwise;
}
constexpr bool is_lstm_opcode(uint8_t opcode) {
  return opcode == kOpLstmSpmv || opcode == kOpLstmGates || opcode == kOpGruGates;
}

enum Queue : uint8_t { kQueueLoad = 0, kQueueCompute = 1, kQueueStore = 2, kQueueNone = 3 };
constexpr Queue queue_of(uint8_t opcode) {
  return opcode == kOpLoad ? kQueueLoad
         : opcode == kOpStore ? kQueueStore
         : (is_cnn_opcode(opcode) || is_lstm_opcode(opcode)) ? kQueueCompute
                                                              : kQueueNone;
}

// Header.deps: dependency tokens. "prev" of load is nothing, of compute is load, of store is
// compute; "next" of load is compute, of compute is store, of store is nothing.
constexpr uint8_t kPopPrev = 1u << 0;   // wait for a token from the previous queue before starting
constexpr uint8_t kPopNext = 1u << 1;   // wait for a token from the next queue before starting
constexpr uint8_t kPushPrev = 1u << 2;  // send a token to the previous queue when finished
constexpr uint8_t kPushNext = 1u << 3;  // send a token to the next queue when finished

// On-chip buffers (the DMA's local space), each owned by one engine: 0..2 the CNN engine's,
// 3..4 the LSTM engine's (version 2).
enum Buffer : uint8_t {
  kBufInput = 0,       // CNN: input feature maps
  kBufWeight = 1,      // CNN: weights and biases
  kBufOutput = 2,      // CNN: partial sums and results
  kBufLstmWeight = 3,  // LSTM: the PEs' weight memories, PE p's slice at p x slice bytes (stream images)
  kBufLstmVector = 4,  // LSTM: the vector buffer (x, h, y, c, biases, peepholes, gate accumulators)
  kBufCount = 5
};
constexpr uint8_t kCnnBufCount = 3;  // the CNN engine's buffers are 0 .. kCnnBufCount - 1

// Header.flags of compute instructions.
constexpr uint16_t kFlagRelu = 1u << 0;      // ReLU on the int8 result
constexpr uint16_t kFlagPool = 1u << 1;      // Conv: max pooling (pool_size, pool_stride) after ReLU
constexpr uint16_t kFlagAccFirst = 1u << 2;  // start accumulators from the bias (else from psum)
constexpr uint16_t kFlagAccLast = 1u << 3;   // produce the int8 output (else write psum back)
constexpr uint16_t kFlagAvgPool = 1u << 4;   // Pool: average instead of max
// LSTM_SPMV uses kFlagAccFirst (start from the bias, else from the accumulators) and kFlagAccLast
// (the accumulators leave as the 16-bit output y, else they are written back); and:
constexpr uint16_t kFlagNoBias = 1u << 5;     // LSTM_SPMV with AccFirst: start from 0 instead of a bias
constexpr uint16_t kFlagPeephole = 1u << 6;   // LSTM_GATES: add the peephole terms
// Version 3, activations (ACT): the output-stage activation unit of CONV and FC (with AccLast) and
// of ELTWISE, after sat8 and ReLU and before CONV's pooling (docs/isa.md "Version 3: activations
// and Mul"). Clip first, then the table.
constexpr uint16_t kFlagClip = 1u << 7;   // y = clamp(y, clip_min, clip_max)
constexpr uint16_t kFlagTable = 1u << 8;  // y = table[y + 128], int8 [256] at table_offset (weight buffer)
constexpr uint32_t kActivationTableBytes = 256;  // kFlagTable's table: int8 [256]
// Version 3, GRU: GRU_GATES applies r after R_h's product (ONNX linear_before_reset = 1).
constexpr uint16_t kFlagLinearBeforeReset = 1u << 10;
// Version 3 (QUANT): CONV / FC with AccLast take output channel oc's shift from the int8 [out_c]
// table at shift_offset of the weight buffer instead of output_shift (docs/isa.md). Output stage
// order: per-channel shift (or output_shift), sat8, ReLU, clip, table, pooling.
constexpr uint16_t kFlagChannelShift = 1u << 9;

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
//   shifts  int8  [out_c]                      at shift_offset (weight buffer; with AccLast and
//                                              kFlagChannelShift: channel oc's output_shift)
// Grouped (version 3, `groups` G >= 2; 0 or 1 = dense): weights int8 [out_c][in_c/G][kh][kw];
// output channel oc sums over the in_c/G input channels of its group (oc / (out_c/G)).
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
  uint16_t groups;  // version 3 (DW): 0 or 1 dense; else divides in_c and out_c
  // Version 3, activations (ACT): kFlagClip bounds and kFlagTable's table (weight buffer).
  int8_t clip_min, clip_max;
  uint32_t table_offset;
  uint32_t shift_offset;  // 56..59, version 3 (QUANT): int8 [out_c] output shifts (kFlagChannelShift)
  uint8_t reserved[4];
};

// Input channels each output channel of a CONV reads (version 3 groups; 0 and 1 are dense).
constexpr uint32_t conv_groups(const Conv& c) { return c.groups > 1 ? c.groups : 1u; }
constexpr uint32_t conv_group_in_c(const Conv& c) { return c.in_c / conv_groups(c); }

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
  // Version 3, activations (ACT): kFlagClip bounds and kFlagTable's table (weight buffer).
  int8_t clip_min, clip_max;
  uint32_t table_offset;
  uint32_t shift_offset;  // 44..47, version 3 (QUANT): int8 [n_out] output shifts (kFlagChannelShift)
  uint8_t reserved[16];
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

// ELTWISE: with j = i / max(broadcast, 1) (version 3),
//   add: y[i] = sat8(round_shift((a[i] << a_shift) + (b[j] << b_shift), output_shift))
//   mul: y[i] = sat8(round_shift(a[i] x b[j], output_shift))      (a_shift = b_shift = 0)
// then ReLU with kFlagRelu, then the activation unit (kFlagClip, kFlagTable). a int8 [count] and
// b int8 [ceil(count / max(broadcast, 1))] in the input buffer; y int8 [count] in the output buffer.
enum EltwiseOp : uint8_t { kEltwiseAdd = 0, kEltwiseMul = 1 };
struct Eltwise {
  Header header;
  uint32_t a_offset, b_offset, output_offset;
  uint32_t count;
  uint8_t a_shift, b_shift;  // 0..15
  int8_t output_shift;
  // Version 3, activations and Mul (ACT).
  uint8_t op;  // EltwiseOp
  int8_t clip_min, clip_max;
  uint8_t reserved0[2];
  uint32_t table_offset;  // kFlagTable's table in the weight buffer
  uint32_t broadcast;     // b[j] serves `broadcast` consecutive a[i] (0 or 1: elementwise)
  uint8_t reserved[24];
};

// LSTM_SPMV: acc[c][r] += sum over the chunk's columns j of W[r][first_col + j] x
// x[c][first_col + j] << product_shift, for channels c and all `rows` rows (docs/lstm.md, "Engine").
// The matrix's rows are interleaved over the engine's PEs (lstm_format.h); PE p's chunk is at
// p x slice_bytes + weight_offset of kBufLstmWeight, in at most chunk_bytes: the cols + 1 pointers
// of the column range (absolute stream indices, u32), then the entries they cover (u16). Vector
// buffer layouts (kBufLstmVector, little-endian):
//   input  int16 x[c][k] at input_offset + 2 (c x input_stride + k), k = first_col + j
//   acc    int64 [channels][rows] at acc_offset: exact sums at the accumulators' radix point (read
//          unless AccFirst, written unless AccLast)
//   bias   int32 [rows] at bias_offset (AccFirst without NoBias), shared by the channels
//   output int16 [channels][rows] at output_offset (AccLast):
//          y = sat16(round_shift(sat_acc(acc), output_shift))
struct LstmSpmv {
  Header header;
  uint32_t weight_offset;  // chunk offset inside each PE's weight memory slice
  uint32_t chunk_bytes;    // bytes each PE's chunk may occupy (pointers + entries)
  uint32_t rows;           // rows of the matrix (all PEs)
  uint16_t first_col;      // first column of the chunk (its input element)
  uint16_t cols;           // columns of the chunk
  uint32_t input_offset;
  uint32_t input_stride;   // int16 elements between channels of the input
  uint32_t acc_offset;
  uint32_t bias_offset;
  uint32_t output_offset;
  uint16_t channels;       // independent sequences
  uint8_t product_shift;   // 0..15: products aligned to the accumulators' radix point
  int8_t output_shift;     // AccLast: -31..62
  uint8_t reserved[16];
};

// LSTM_GATES: one time step's element-wise stage for `hidden` cells and `channels` sequences
// (docs/lstm.md, "Arithmetic" steps 2-6). Vector buffer layouts:
//   acc       int64 [channels][4 x hidden] at acc_offset: gate blocks i, o, f, c (lstm::Gate),
//             radix point gate_frac; saturated to accumulator_bits once here
//   c         int16 [channels][hidden] at c_offset: c_{t-1} read, c_t written in place (c_frac)
//   h         int16 [channels][hidden] at h_offset: h_t written (h_frac)
//   peephole  int16 [3 x hidden] at peephole_offset (kFlagPeephole): 12-bit P_i, P_o, P_f
struct LstmGates {
  Header header;
  uint32_t acc_offset;
  uint32_t c_offset;
  uint32_t h_offset;
  uint32_t peephole_offset;
  uint32_t hidden;
  uint16_t channels;
  int8_t gate_frac;      // radix point of the accumulators: -32..60
  int8_t c_frac;         // -16..30
  int8_t h_frac;         // -16..30
  int8_t peephole_frac;  // -16..30 (kFlagPeephole)
  uint8_t reserved[30];
};

// GRU_GATES (version 3, GRU): one stage of a GRU time step for `hidden` units and `channels`
// sequences (docs/isa.md "Version 3: GRU", docs/lstm.md "GRU"). ONNX's gate order z, r, h.
// Vector buffer layouts (int64 exact sums at radix point gate_frac, saturated to accumulator_bits
// here; int16 values):
//   x_acc   int64 [channels][3 x hidden] at x_acc_offset: W x_t + biases (z, r, h blocks)
//   r_acc   int64 [channels][2 x hidden] at r_acc_offset: R_z h_{t-1}, R_r h_{t-1}
//   n_acc   int64 [channels][hidden] at n_acc_offset: R_h h_{t-1} + Rb_h (LinearBeforeReset), or
//           R_h (r . h_{t-1}) (without; read by stage 1 only)
//   h_prev  int16 [channels][hidden] at h_prev_offset: h_{t-1} (h_frac)
//   out     int16 [channels][hidden] at out_offset: stage 0 writes r . h_{t-1} (h_frac), stage 1
//           writes h_t (h_frac; may be h_prev_offset: each unit reads before it writes)
// stage 0 (reset; only without LinearBeforeReset) precedes R_h's LSTM_SPMV, stage 1 ends the step.
struct GruGates {
  Header header;
  uint32_t x_acc_offset;
  uint32_t r_acc_offset;
  uint32_t n_acc_offset;
  uint32_t h_prev_offset;
  uint32_t out_offset;
  uint32_t hidden;
  uint16_t channels;
  int8_t gate_frac;  // -32..60
  int8_t h_frac;     // -16..30
  uint8_t stage;     // 0: reset (r . h_{t-1}), 1: update (h_t)
  uint8_t reserved[27];
};

union Instruction {
  Header header;
  Transfer transfer;
  Conv conv;
  Fc fc;
  Pool pool;
  Eltwise eltwise;
  LstmSpmv lstm_spmv;
  LstmGates lstm_gates;
  GruGates gru_gates;
  uint8_t bytes[kInstructionBytes];
};

static_assert(sizeof(Header) == 8, "header layout");
static_assert(sizeof(Transfer) == kInstructionBytes, "LOAD/STORE layout");
static_assert(sizeof(Conv) == kInstructionBytes, "CONV layout");
static_assert(__builtin_offsetof(Conv, groups) == 48, "CONV groups at byte 48 (version 3)");
static_assert(sizeof(Fc) == kInstructionBytes, "FC layout");
static_assert(sizeof(Pool) == kInstructionBytes, "POOL layout");
static_assert(sizeof(Eltwise) == kInstructionBytes, "ELTWISE layout");
static_assert(sizeof(LstmSpmv) == kInstructionBytes, "LSTM_SPMV layout");
static_assert(sizeof(LstmGates) == kInstructionBytes, "LSTM_GATES layout");
static_assert(sizeof(GruGates) == kInstructionBytes, "GRU_GATES layout");
static_assert(sizeof(Instruction) == kInstructionBytes, "instruction size");
// Version 3's activation fields sit where the shared allocation puts them (docs/isa.md).
static_assert(offsetof(Conv, clip_min) == 50 && offsetof(Conv, table_offset) == 52, "CONV v3 layout");
static_assert(offsetof(Fc, clip_min) == 38 && offsetof(Fc, table_offset) == 40, "FC v3 layout");
static_assert(offsetof(Conv, shift_offset) == 56 && offsetof(Fc, shift_offset) == 44,
              "CONV / FC v3 shift_offset (QUANT)");
static_assert(offsetof(Eltwise, op) == 27 && offsetof(Eltwise, clip_min) == 28 &&
                  offsetof(Eltwise, table_offset) == 32 && offsetof(Eltwise, broadcast) == 36,
              "ELTWISE v3 layout");

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
  kErrBadStream = 10,      // an LSTM weight stream chunk fails lstm::validate_stream (version 2)
};

}  // namespace dlvp::isa
