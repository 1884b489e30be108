/** The System the gate tests release versions of: a high-risk model owned by the risk team. */
export const fraudModelSystem = `apiVersion: arbiter/v1
kind: System
metadata: { name: fraud-model }
spec:
  kind: model
  owner: { team: risk, person: dana@example.com }
  onCall: { team: risk-oncall }
  autonomy: 1
  riskTier: high
`;
