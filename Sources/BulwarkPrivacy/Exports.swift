// DP mechanisms and accountants live one floor down (BulwarkDP) so the federated module can use
// them without a sideways import; BulwarkPrivacy re-exports them so its users need one import.
@_exported public import BulwarkDP
