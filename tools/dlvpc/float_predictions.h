// The float model's class for every image of a data set (dlvpc compile --float-predictions, docs/dlvpc.md):
// what an app compares the SoC's predictions with on exactly the images it ran. The same float
// evaluation calibration uses (run_float of the imported graph; an LSTM model's float LSTM and its
// head), on the ONNX model as given (before any pruning dlvpc applies with --density).
//
// The file is IDX1 of unsigned bytes, like Fashion-MNIST's labels: 00 00 08 01, the image count as a
// big-endian uint32, then one class (0..255, the argmax of the model's output) per image.
#pragma once
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/gru_import.h"
#include "tools/dlvpc/lstm_import.h"
#include "tools/dlvpc/lstm_stack_import.h"

#include <cstdint>
#include <string>
#include "tools/dlvpc/input_preprocessing.h"

#include <vector>

namespace dlvp::dlvpc {

// Index of the largest value (the first of equal ones); throws ConfigError naming `what` when
// there are more than 256 classes or none.
uint8_t class_of(const std::vector<float>& output, const std::string& what);

// Each image (IDX item, pixel x `scale`) is one input sample of the graph. Throws ConfigError
// naming the file when an image's size differs from the graph's input.
std::vector<uint8_t> float_predictions(const FloatGraph& graph, const IdxFile& images, const std::string& path, float scale);
// The same with the input's whole preprocessing (the images checked against its layout).
std::vector<uint8_t> float_predictions(const FloatGraph& graph, const IdxFile& images, const std::string& path,
                                       const InputPreprocessing& pre);
// Each image is one sequence [T][I] of the LSTM (its rows the time steps), then the head. Throws
// ConfigError for a model without a classifier head or images of another size.
std::vector<uint8_t> float_predictions(const LstmModel& model, const IdxFile& images, const std::string& path, float scale);
// The same for a stacked or bidirectional LSTM: the float stack as imported, then its head.
std::vector<uint8_t> float_predictions(const LstmStackModel& model, const IdxFile& images, const std::string& path, float scale);
// The same for a GRU: the float GRU's last h, then the head.
std::vector<uint8_t> float_predictions(const GruModel& model, const IdxFile& images, const std::string& path, float scale);

// The IDX1 ubyte file's bytes for these predictions, and writing it whole or not at all (throws
// ConfigError naming the path).
std::vector<uint8_t> idx1_bytes(const std::vector<uint8_t>& values);
void write_predictions_file(const std::string& path, const std::vector<uint8_t>& predictions);

}  // namespace dlvp::dlvpc
