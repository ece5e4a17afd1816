import Testing

@Suite struct SQLiteRegistryTests {
    @Test func modelsAreCreatedOnceWithCheckedNames() async throws { try await RegistryContract.modelsAreCreatedOnceWithCheckedNames(.sqlite) }
    @Test func failedUploadsLeaveNoVersionAndNoFile() async throws { try await RegistryContract.failedUploadsLeaveNoVersionAndNoFile(.sqlite) }
    @Test func sweepRemovesWhatACrashLeaves() async throws { try await RegistryContract.sweepRemovesWhatACrashLeaves(.sqlite) }
    @Test func gatesPassOnlyCleanSignedArtifacts() async throws { try await RegistryContract.gatesPassOnlyCleanSignedArtifacts(.sqlite) }
    @Test func unsupportedScansNeedAFreshAdminOverrideWithAReason() async throws { try await RegistryContract.unsupportedScansNeedAFreshAdminOverrideWithAReason(.sqlite) }
    @Test func productionNeedsASecondPersonWithFreshMFA() async throws { try await RegistryContract.productionNeedsASecondPersonWithFreshMFA(.sqlite) }
    @Test func aPersonsOwnServiceAccountIsNotASecondPerson() async throws { try await RegistryContract.aPersonsOwnServiceAccountIsNotASecondPerson(.sqlite) }
    @Test func concurrentPromotionsFromTwoNodesLetExactlyOneWin() async throws { try await RegistryContract.concurrentPromotionsFromTwoNodesLetExactlyOneWin(.sqlite) }
    @Test func revokedVersionsAndTamperedBlobsAreNeverServed() async throws { try await RegistryContract.revokedVersionsAndTamperedBlobsAreNeverServed(.sqlite) }
    @Test func lineageAndTheMLBOMDescribeEachVersion() async throws { try await RegistryContract.lineageAndTheMLBOMDescribeEachVersion(.sqlite) }
}

@Suite(.enabled(if: postgresTestURL != nil, postgresSkipReason)) struct PostgresRegistryTests {
    @Test func modelsAreCreatedOnceWithCheckedNames() async throws { try await RegistryContract.modelsAreCreatedOnceWithCheckedNames(.postgres) }
    @Test func failedUploadsLeaveNoVersionAndNoFile() async throws { try await RegistryContract.failedUploadsLeaveNoVersionAndNoFile(.postgres) }
    @Test func sweepRemovesWhatACrashLeaves() async throws { try await RegistryContract.sweepRemovesWhatACrashLeaves(.postgres) }
    @Test func gatesPassOnlyCleanSignedArtifacts() async throws { try await RegistryContract.gatesPassOnlyCleanSignedArtifacts(.postgres) }
    @Test func unsupportedScansNeedAFreshAdminOverrideWithAReason() async throws { try await RegistryContract.unsupportedScansNeedAFreshAdminOverrideWithAReason(.postgres) }
    @Test func productionNeedsASecondPersonWithFreshMFA() async throws { try await RegistryContract.productionNeedsASecondPersonWithFreshMFA(.postgres) }
    @Test func aPersonsOwnServiceAccountIsNotASecondPerson() async throws { try await RegistryContract.aPersonsOwnServiceAccountIsNotASecondPerson(.postgres) }
    @Test func concurrentPromotionsFromTwoNodesLetExactlyOneWin() async throws { try await RegistryContract.concurrentPromotionsFromTwoNodesLetExactlyOneWin(.postgres) }
    @Test func revokedVersionsAndTamperedBlobsAreNeverServed() async throws { try await RegistryContract.revokedVersionsAndTamperedBlobsAreNeverServed(.postgres) }
    @Test func lineageAndTheMLBOMDescribeEachVersion() async throws { try await RegistryContract.lineageAndTheMLBOMDescribeEachVersion(.postgres) }
}
