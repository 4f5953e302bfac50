// Module entry: registers the calls of each libvirt object; the work lives in one file per object.
#include "common.h"

namespace drover {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitEvents(env, exports);
  InitConnection(env, exports);
  InitDomain(env, exports);
  InitMigrate(env, exports);
  InitStorage(env, exports);
  InitStream(env, exports);
  return exports;
}

}  // namespace drover

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return drover::Init(env, exports); }

NODE_API_MODULE(drover_libvirt, InitAll)
