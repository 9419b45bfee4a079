// Every cause the recovery bench times: each makes its real condition twice (once for a lone `nimbus sync`, once
// under a running agent) and removes it the way it goes away in life.
import { accountCauses } from './account-causes.js';
import { networkCauses } from './network-causes.js';
import type { RecoveryCause, Stages } from './stages.js';
import { storageCauses } from './storage-causes.js';
import { tlsCauses } from './tls-causes.js';

export function recoveryCauses(stages: Stages): RecoveryCause[] {
  return [...networkCauses(stages), ...tlsCauses(stages), ...storageCauses(stages), ...accountCauses(stages)];
}
