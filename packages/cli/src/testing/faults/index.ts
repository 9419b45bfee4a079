// The fault harness for end-to-end tests: real faults on loopback between a real client and a real server.
export { FaultProxy, type FaultProxyOptions, type FaultProxyStats } from './fault-proxy.js';
export {
  FAULT_MODE_KINDS,
  toFaultMode,
  type BlackholeMode,
  type FaultMode,
  type FaultModeInput,
  type FaultModeKind,
  type PassMode,
  type PortalMode,
  type RefuseMode,
  type ResetMode,
  type SlowMode,
  type StatusMode,
} from './fault-mode.js';
export { PORTAL_LOGIN_PATH, PORTAL_PAGE } from './fault-answers.js';
export { DnsStub, type DnsStubMode, type DnsStubOptions } from './dns-stub.js';
export {
  makeCertificate,
  makeCertificateAuthority,
  writeCertificateFiles,
  type CertificateOptions,
  type TestCertificate,
} from './certificates.js';
export { fakedClockEnv, faketimePreload, fillDisk, mountTmpfs, unmount } from './device-conditions.js';
export { spawnHttpsServer, spawnTinyQuotaServer, TINY_QUOTA } from './fault-servers.js';
