// Connection calls: open/close, keepalive, host facts, CPU comparison.
#include <cstdlib>

#include "common.h"
#include "helpers.h"

namespace drover {

namespace {

std::atomic<uint32_t> g_nextConnId{1};

Napi::Value Open(const Napi::CallbackInfo& info) {
  std::string uri = ArgString(info, 0, "uri");
  bool readOnly = info[1].ToBoolean();
  bool events = info[2].IsUndefined() ? true : info[2].ToBoolean().Value();
  return Run(info.Env(), "drover:libvirt:open", [uri, readOnly, events]() -> Builder {
    virConnectPtr c = virConnectOpenAuth(uri.c_str(), nullptr, readOnly ? VIR_CONNECT_RO : 0);
    if (c == nullptr) Fail("virConnectOpen");
    auto st = std::make_shared<ConnState>();
    st->id = g_nextConnId.fetch_add(1);
    st->conn = c;
    RegisterConnEvents(*st, events);
    return [st](Napi::Env env) -> Napi::Value {
      auto h = std::make_shared<Handle>();
      h->kind = Kind::Connection;
      h->ptr = st->conn;
      h->conn = st;
      Napi::Object o = Napi::Object::New(env);
      o.Set("handle", WrapHandle(env, h));
      o.Set("id", Napi::Number::New(env, st->id));
      return o;
    };
  });
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Connection);
  std::function<void()> release = DetachRelease(*h);
  return Run(info.Env(), "drover:libvirt:close", [release]() -> Builder {
    if (release) release();
    return nullptr;
  });
}

Napi::Value SetKeepAlive(const Napi::CallbackInfo& info) {
  int interval = static_cast<int>(ArgNumber(info, 1, "interval"));
  unsigned int count = static_cast<unsigned int>(ArgNumber(info, 2, "count"));
  return ConnCall(info, "drover:libvirt:setKeepAlive", [interval, count](virConnectPtr c) -> Builder {
    int r = virConnectSetKeepAlive(c, interval, count);
    if (r < 0) Fail("virConnectSetKeepAlive");
    return Num(r);
  });
}

Napi::Value IsAlive(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:isAlive", [](virConnectPtr c) -> Builder {
    int r = virConnectIsAlive(c);
    if (r < 0) Fail("virConnectIsAlive");
    return Bool(r == 1);
  });
}

Napi::Value Hostname(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:hostname", [](virConnectPtr c) -> Builder {
    return Str(TakeString(virConnectGetHostname(c), "virConnectGetHostname"));
  });
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:capabilities", [](virConnectPtr c) -> Builder {
    return Str(TakeString(virConnectGetCapabilities(c), "virConnectGetCapabilities"));
  });
}

Napi::Value Uri(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:uri", [](virConnectPtr c) -> Builder {
    return Str(TakeString(virConnectGetURI(c), "virConnectGetURI"));
  });
}

Napi::Value Type(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:type", [](virConnectPtr c) -> Builder {
    const char* t = virConnectGetType(c);
    if (t == nullptr) Fail("virConnectGetType");
    return Str(t);
  });
}

Napi::Value NodeInfo(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:nodeInfo", [](virConnectPtr c) -> Builder {
    virNodeInfo ni;
    if (virNodeGetInfo(c, &ni) < 0) Fail("virNodeGetInfo");
    std::string model(ni.model, strnlen(ni.model, sizeof(ni.model)));
    return [ni, model](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("model", model);
      o.Set("memoryKiB", Napi::Number::New(env, static_cast<double>(ni.memory)));
      o.Set("cpus", Napi::Number::New(env, ni.cpus));
      o.Set("mhz", Napi::Number::New(env, ni.mhz));
      o.Set("nodes", Napi::Number::New(env, ni.nodes));
      o.Set("sockets", Napi::Number::New(env, ni.sockets));
      o.Set("cores", Napi::Number::New(env, ni.cores));
      o.Set("threads", Napi::Number::New(env, ni.threads));
      return o;
    };
  });
}

Napi::Value FreeMemory(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:freeMemory", [](virConnectPtr c) -> Builder {
    unsigned long long b = virNodeGetFreeMemory(c);
    if (b == 0) {
      virErrorPtr e = virGetLastError();
      if (e != nullptr && e->code != VIR_ERR_OK) Fail("virNodeGetFreeMemory");
    }
    return Num(static_cast<double>(b));
  });
}

Napi::Value LibVersion(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:libVersion", [](virConnectPtr c) -> Builder {
    unsigned long v = 0;
    if (virConnectGetLibVersion(c, &v) < 0) Fail("virConnectGetLibVersion");
    return Num(static_cast<double>(v));
  });
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  return ConnCall(info, "drover:libvirt:version", [](virConnectPtr c) -> Builder {
    unsigned long v = 0;
    if (virConnectGetVersion(c, &v) < 0) Fail("virConnectGetVersion");
    return Num(static_cast<double>(v));
  });
}

Napi::Value CompareCPU(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 1, "xml");
  unsigned int flags = ArgFlags(info, 2);
  return ConnCall(info, "drover:libvirt:compareCPU", [xml, flags](virConnectPtr c) -> Builder {
    int r = virConnectCompareCPU(c, xml.c_str(), flags);
    if (r == VIR_CPU_COMPARE_ERROR) Fail("virConnectCompareCPU");
    return Num(r);
  });
}

// Empty strings stand for NULL: libvirt then picks the host's default emulator, arch, machine, type.
Napi::Value CompareHypervisorCPU(const Napi::CallbackInfo& info) {
  std::string emulator = ArgString(info, 1, "emulator");
  std::string arch = ArgString(info, 2, "arch");
  std::string machine = ArgString(info, 3, "machine");
  std::string virttype = ArgString(info, 4, "virttype");
  std::string xml = ArgString(info, 5, "xml");
  unsigned int flags = ArgFlags(info, 6);
  return ConnCall(info, "drover:libvirt:compareHypervisorCPU", [emulator, arch, machine, virttype, xml, flags](virConnectPtr c) -> Builder {
    auto opt = [](const std::string& v) { return v.empty() ? nullptr : v.c_str(); };
    int r = virConnectCompareHypervisorCPU(c, opt(emulator), opt(arch), opt(machine), opt(virttype), xml.c_str(), flags);
    if (r == VIR_CPU_COMPARE_ERROR) Fail("virConnectCompareHypervisorCPU");
    return Num(r);
  });
}

Napi::Value BaselineCPU(const Napi::CallbackInfo& info) {
  if (!info[1].IsArray()) throw Napi::TypeError::New(info.Env(), "xmls must be an array of strings");
  std::vector<std::string> xmls;
  Napi::Array a = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) xmls.push_back(a.Get(i).ToString().Utf8Value());
  unsigned int flags = ArgFlags(info, 2);
  return ConnCall(info, "drover:libvirt:baselineCPU", [xmls, flags](virConnectPtr c) -> Builder {
    std::vector<const char*> ptrs;
    for (const auto& x : xmls) ptrs.push_back(x.c_str());
    return Str(TakeString(virConnectBaselineCPU(c, ptrs.data(), static_cast<unsigned int>(ptrs.size()), flags),
                          "virConnectBaselineCPU"));
  });
}

}  // namespace

void InitConnection(Napi::Env env, Napi::Object exports) {
  exports.Set("connOpen", Napi::Function::New(env, Open, "connOpen"));
  exports.Set("connClose", Napi::Function::New(env, Close, "connClose"));
  exports.Set("connSetKeepAlive", Napi::Function::New(env, SetKeepAlive, "connSetKeepAlive"));
  exports.Set("connIsAlive", Napi::Function::New(env, IsAlive, "connIsAlive"));
  exports.Set("connHostname", Napi::Function::New(env, Hostname, "connHostname"));
  exports.Set("connCapabilities", Napi::Function::New(env, Capabilities, "connCapabilities"));
  exports.Set("connUri", Napi::Function::New(env, Uri, "connUri"));
  exports.Set("connType", Napi::Function::New(env, Type, "connType"));
  exports.Set("connNodeInfo", Napi::Function::New(env, NodeInfo, "connNodeInfo"));
  exports.Set("connFreeMemory", Napi::Function::New(env, FreeMemory, "connFreeMemory"));
  exports.Set("connLibVersion", Napi::Function::New(env, LibVersion, "connLibVersion"));
  exports.Set("connVersion", Napi::Function::New(env, Version, "connVersion"));
  exports.Set("connCompareCPU", Napi::Function::New(env, CompareCPU, "connCompareCPU"));
  exports.Set("connCompareHypervisorCPU", Napi::Function::New(env, CompareHypervisorCPU, "connCompareHypervisorCPU"));
  exports.Set("connBaselineCPU", Napi::Function::New(env, BaselineCPU, "connBaselineCPU"));
}

}  // namespace drover
