{
  "targets": [
    {
      "target_name": "drover_libvirt",
      "sources": [
        "native/module.cc",
        "native/common.cc",
        "native/events.cc",
        "native/connection.cc",
        "native/domain.cc",
        "native/migrate.cc",
        "native/storage.cc",
        "native/stream.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-lvirt"]
    }
  ]
}
