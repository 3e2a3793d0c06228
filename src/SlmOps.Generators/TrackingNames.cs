namespace SlmOps.Generators
{
    /// <summary>Names of the pipeline steps, for incrementality tests (<c>WithTrackingName</c>).</summary>
    public static class TrackingNames
    {
        /// <summary>Contract files picked from AdditionalFiles, with their text.</summary>
        public const string ContractFiles = "SlmOpsContractFiles";

        /// <summary>Parsed contracts: model specs and diagnostics.</summary>
        public const string Contracts = "SlmOpsContracts";

        /// <summary>All parsed contracts together, for emitting and detecting duplicates.</summary>
        public const string AllContracts = "SlmOpsAllContracts";

        /// <summary>The segments of <c>$(SlmOpsModelsFolder)</c>, where the generated <c>Load()</c> looks.</summary>
        public const string ModelsFolder = "SlmOpsModelsFolder";
    }
}
