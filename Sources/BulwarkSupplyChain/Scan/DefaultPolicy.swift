/// The built-in scan policy, in the documented `ScanPolicy` text format.
let defaultPolicyText = """
# ---- safe: exact callables frameworks legitimately pickle ----
safe collections OrderedDict
safe collections defaultdict
safe collections Counter
safe collections deque
safe builtins set
safe builtins frozenset
safe builtins dict
safe builtins list
safe builtins tuple
safe builtins bytearray
safe builtins slice
safe builtins complex
safe builtins object
safe __builtin__ set
safe copy_reg _reconstructor
safe _codecs encode
safe copyreg _reconstructor
safe datetime datetime
safe datetime date
safe datetime timedelta
safe torch._utils _rebuild_tensor
safe torch._utils _rebuild_tensor_v2
safe torch._utils _rebuild_tensor_v3
safe torch._utils _rebuild_parameter
safe torch._utils _rebuild_parameter_with_state
safe torch._utils _rebuild_sparse_tensor
safe torch._utils _rebuild_qtensor
safe torch._utils _rebuild_wrapper_subclass
safe torch._utils _rebuild_device_tensor_from_numpy
safe torch._tensor _rebuild_from_type_v2
safe torch FloatStorage
safe torch DoubleStorage
safe torch HalfStorage
safe torch BFloat16Storage
safe torch LongStorage
safe torch IntStorage
safe torch ShortStorage
safe torch CharStorage
safe torch ByteStorage
safe torch BoolStorage
safe torch ComplexFloatStorage
safe torch ComplexDoubleStorage
safe torch float32
safe torch float16
safe torch bfloat16
safe torch float64
safe torch int64
safe torch int32
safe torch int8
safe torch uint8
safe torch bool
safe torch Size
safe torch device
safe torch Tensor
safe torch.nn.parameter Parameter
safe numpy dtype
safe numpy ndarray
safe numpy.core.multiarray _reconstruct
safe numpy.core.multiarray scalar
safe numpy._core.multiarray _reconstruct
safe numpy._core.multiarray scalar
safe numpy.dtypes Float64DType
safe numpy.dtypes Float32DType
safe numpy.dtypes Int64DType
safe numpy.dtypes Int32DType
safe numpy.dtypes UInt8DType
safe numpy.dtypes BoolDType
safe numpy.dtypes ObjectDType
safe numpy.random._pickle __randomstate_ctor
safe numpy.random._pickle __bit_generator_ctor
safe numpy.random._pickle __generator_ctor
safe joblib.numpy_pickle NumpyArrayWrapper
safe joblib.numpy_pickle_compat NDArrayWrapper
safe sklearn.linear_model._logistic LogisticRegression
safe sklearn.linear_model._base LinearRegression
safe sklearn.linear_model._ridge Ridge
safe sklearn.preprocessing._data StandardScaler
safe sklearn.preprocessing._data MinMaxScaler
safe sklearn.preprocessing._label LabelEncoder
safe sklearn.tree._classes DecisionTreeClassifier
safe sklearn.tree._classes DecisionTreeRegressor
safe sklearn.tree._tree Tree
safe sklearn.ensemble._forest RandomForestClassifier
safe sklearn.ensemble._forest RandomForestRegressor
safe sklearn.pipeline Pipeline
safe sklearn.svm._classes SVC
safe sklearn.neighbors._classification KNeighborsClassifier
safe sklearn.cluster._kmeans KMeans
safe sklearn.decomposition._pca PCA

# ---- dangerous: whole modules ----
dangerous os * process, file-system or environment access
dangerous posix * process, file-system or environment access
dangerous nt * process, file-system or environment access
dangerous subprocess * process execution
dangerous pty * process execution
dangerous commands * process execution
dangerous popen2 * process execution
dangerous multiprocessing * process execution
dangerous shutil * file-system modification
dangerous socket * network access
dangerous ssl * network access
dangerous http * network access
dangerous urllib * network access
dangerous urllib2 * network access
dangerous requests * network access
dangerous httpx * network access
dangerous ftplib * network access
dangerous smtplib * network access
dangerous telnetlib * network access
dangerous webbrowser * opens URLs
dangerous importlib * import machinery
dangerous imp * import machinery
dangerous pickle * nested unpickling
dangerous _pickle * nested unpickling
dangerous cPickle * nested unpickling
dangerous dill * nested unpickling
dangerous cloudpickle * nested unpickling
dangerous marshal * code object deserialization
dangerous types * code/function object construction
dangerous code * code execution
dangerous codeop * code execution
dangerous runpy * code execution
dangerous ctypes * native code execution
dangerous cffi * native code execution
dangerous sys * interpreter state
dangerous pdb * debugger (code execution)
dangerous bdb * debugger (code execution)
dangerous timeit * code execution
dangerous asyncio * process and network access
dangerous signal * process control
dangerous tempfile * file-system access
dangerous pathlib * file-system access
dangerous glob * file-system access
dangerous io * file access
dangerous _io * file access
dangerous zipimport * import machinery
dangerous pip * package installation
dangerous setuptools * package installation
dangerous distutils * package installation
dangerous venv * environment creation
dangerous operator * attribute/method access gadget (attrgetter, methodcaller, itemgetter)
dangerous _operator * attribute/method access gadget
dangerous functools * call wrapping (partial/reduce) hides the real callee
dangerous torch.hub * downloads and runs code
dangerous torch.serialization * nested model load
dangerous torch._inductor * code compilation
dangerous torch.utils.cpp_extension * native code compilation
dangerous numpy.testing._private.utils runstring code execution
dangerous numpy.lib.npyio * nested file load
dangerous joblib * nested file load or parallel execution
dangerous keras * nested model load
dangerous tensorflow * file or process access through ops
dangerous IPython * code execution
dangerous jinja2 * template code execution
dangerous yaml * unsafe YAML loading
dangerous copyreg.extension * extension-registry callable: unknown at scan time

# ---- dangerous: exact builtins ----
dangerous builtins eval code execution
dangerous builtins exec code execution
dangerous builtins compile code compilation
dangerous builtins open file access
dangerous builtins __import__ import machinery
dangerous builtins getattr attribute access gadget
dangerous builtins setattr attribute modification
dangerous builtins delattr attribute modification
dangerous builtins globals interpreter state
dangerous builtins locals interpreter state
dangerous builtins vars interpreter state
dangerous builtins input reads stdin
dangerous builtins breakpoint debugger
dangerous builtins help interactive help (pager execution)
dangerous builtins memoryview raw memory access
dangerous builtins type dynamic class creation
dangerous builtins super introspection
dangerous builtins print side effect
dangerous builtins apply call gadget
dangerous builtins execfile code execution
dangerous builtins file file access
dangerous __builtin__ eval code execution
dangerous __builtin__ exec code execution
dangerous __builtin__ open file access
dangerous __builtin__ __import__ import machinery
dangerous __builtin__ getattr attribute access gadget
dangerous __builtin__ apply call gadget
dangerous __builtin__ execfile code execution
dangerous __builtin__ file file access

# ---- TensorFlow SavedModel operators (module tf.op: always flagged; deny-list, since TF has
# thousands of pure ops) ----
dangerous tf.op PyFunc runs a Python function of the loading process
dangerous tf.op PyFuncStateless runs a Python function of the loading process
dangerous tf.op EagerPyFunc runs a Python function of the loading process
dangerous tf.op ReadFile reads any file the process can read
dangerous tf.op MatchingFiles lists the file system
dangerous tf.op WriteFile writes any file the process can write
dangerous tf.op ImmutableConst memory-maps a file
dangerous tf.op WholeFileReader reads files
dangerous tf.op WholeFileReaderV2 reads files
dangerous tf.op TextLineReader reads files
dangerous tf.op TextLineReaderV2 reads files
dangerous tf.op FixedLengthRecordReader reads files
dangerous tf.op FixedLengthRecordReaderV2 reads files
dangerous tf.op TFRecordReader reads files
dangerous tf.op TFRecordReaderV2 reads files
dangerous tf.op LMDBReader reads files
dangerous tf.op TextLineDataset reads files
dangerous tf.op TFRecordDataset reads files
dangerous tf.op TFRecordDatasetV2 reads files
dangerous tf.op FixedLengthRecordDataset reads files
dangerous tf.op FixedLengthRecordDatasetV2 reads files
dangerous tf.op CSVDataset reads files
dangerous tf.op CSVDatasetV2 reads files
dangerous tf.op ExperimentalCSVDataset reads files
dangerous tf.op LMDBDataset reads files
dangerous tf.op ExperimentalLMDBDataset reads files
dangerous tf.op SqlDataset opens an SQLite database file
dangerous tf.op ExperimentalSqlDataset opens an SQLite database file
dangerous tf.op LoadDataset reads files
dangerous tf.op InitializeTableFromTextFile reads files
dangerous tf.op InitializeTableFromTextFileV2 reads files
dangerous tf.op SaveDataset writes files
dangerous tf.op SaveDatasetV2 writes files
dangerous tf.op DatasetToTFRecord writes files
dangerous tf.op ExperimentalDatasetToTFRecord writes files
dangerous tf.op SnapshotDataset writes files
dangerous tf.op SnapshotDatasetV2 writes files
dangerous tf.op CreateSummaryFileWriter writes files
dangerous tf.op CreateSummaryDbWriter writes files
dangerous tf.op PrintV2 can append to a file (output_stream file://)
dangerous tf.op DebugIdentity writes to file:// or grpc:// debug URLs
dangerous tf.op DebugIdentityV2 writes debug dumps
dangerous tf.op DebugNanCount writes to file:// or grpc:// debug URLs
dangerous tf.op DebugNumericSummary writes to file:// or grpc:// debug URLs
dangerous tf.op DataServiceDataset connects to a network service
dangerous tf.op DataServiceDatasetV2 connects to a network service
dangerous tf.op DataServiceDatasetV3 connects to a network service
dangerous tf.op DataServiceDatasetV4 connects to a network service
dangerous tf.op RegisterDataset connects to a network service
dangerous tf.op RegisterDatasetV2 connects to a network service
dangerous tf.op Rpc network request
dangerous tf.op TryRpc network request
dangerous tf.op RpcClient network request
dangerous tf.op RpcCall network request
dangerous tf.op RpcServer network service
dangerous tf.op RpcServerStart network service
dangerous tf.op GcsConfigureCredentials cloud credentials
dangerous tf.op GcsConfigureBlockCache cloud storage access
# checkpoint operators (module tf.checkpoint-op): legitimate inside the saver (TF1 save/ scope,
# TF2 __inference__traced_save_N / __inference__traced_restore_N functions called only from the
# top-level graph); flagged anywhere else, since they read or write arbitrary paths
dangerous tf.checkpoint-op Save writes a checkpoint to any path
dangerous tf.checkpoint-op SaveV2 writes a checkpoint to any path
dangerous tf.checkpoint-op SaveSlices writes a checkpoint to any path
dangerous tf.checkpoint-op Restore reads a checkpoint from any path
dangerous tf.checkpoint-op RestoreV2 reads a checkpoint from any path
dangerous tf.checkpoint-op RestoreSlice reads a checkpoint from any path
dangerous tf.checkpoint-op MergeV2Checkpoints moves and deletes checkpoint files
"""
