// The Python module spectrograms._C: importing it loads the operator registrations of every file in
// spectrograms_ext/. It also records the torch version it was built against, so that a torch
// upgrade without a rebuild gives a clear message instead of an undefined-symbol trace.
#include <Python.h>
#include <torch/version.h>

extern "C" {
PyMODINIT_FUNC PyInit__C(void) {
  static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_C", nullptr, -1, nullptr};
  PyObject* module = PyModule_Create(&module_def);
  if (module != nullptr) PyModule_AddStringConstant(module, "TORCH_VERSION", TORCH_VERSION);
  return module;
}
}
