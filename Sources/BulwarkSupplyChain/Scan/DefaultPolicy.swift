/// The built-in scan policy, in the documented `ScanPolicy` text format: the hand-written
/// rules below, then the generated torch.nn and scikit-learn classes (`DefaultPolicyGenerated.swift`).
let defaultPolicyText = handWrittenPolicyText + "\n" + generatedPolicyText

/// The hand-written part of the built-in policy.
let handWrittenPolicyText = """
# ---- safe: exact callables frameworks legitimately pickle; each line says why loading it runs
# no code of the file's choosing. The malicious twin of every rule is tested (ScanPolicyTests). ----
safe collections OrderedDict container: constructor and __setitem__ store values only
safe collections defaultdict container: the default factory is imported and classified on its own
safe collections Counter container of counts
safe collections deque container
safe builtins set container
safe builtins frozenset container
safe builtins dict container
safe builtins list container
safe builtins tuple container
safe builtins bytearray byte buffer
safe builtins bytes byte string
safe builtins slice slice value
safe builtins complex number
safe builtins float number
safe builtins int number
safe builtins range range value
safe builtins object plain object base (protocol 0/1 _reconstructor argument)
safe __builtin__ set container (Python 2 name)
safe __builtin__ object plain object base (Python 2 name)
safe copy_reg _reconstructor builds an instance of a class that is imported and classified on its own
safe copyreg _reconstructor builds an instance of a class that is imported and classified on its own
safe copyreg __newobj__ calls cls.__new__ of a class that is imported and classified on its own
safe _codecs encode encodes a string to bytes (how protocol 2 writes bytes)
safe datetime datetime value type
safe datetime date value type
safe datetime time value type
safe datetime timedelta value type
safe datetime timezone value type
safe argparse Namespace attribute bag: __init__ stores keyword values
safe logging getLogger looks up a logger by name (how Logger objects pickle)
safe pathlib PurePath pure path value: no file-system access
safe pathlib PurePosixPath pure path value: no file-system access
safe pathlib PureWindowsPath pure path value: no file-system access
safe uuid UUID value type
safe uuid SafeUUID enum value
safe decimal Decimal value type (constructor parses a number)
safe _decimal Decimal value type (C implementation)
safe fractions Fraction value type
safe functools partial wraps a callable; the VM classifies the wrapped callable itself, so partial(os.system) stays critical
safe _functools partial wraps a callable (C implementation); the wrapped callable is classified itself
safe torch._utils _rebuild_tensor rebuilds a tensor from a storage
safe torch._utils _rebuild_tensor_v2 rebuilds a tensor from a storage
safe torch._utils _rebuild_tensor_v3 rebuilds a tensor from a storage
safe torch._utils _rebuild_parameter rebuilds a parameter from a tensor
safe torch._utils _rebuild_parameter_with_state rebuilds a parameter and its attributes
safe torch._utils _rebuild_sparse_tensor rebuilds a sparse tensor
safe torch._utils _rebuild_qtensor rebuilds a quantized tensor
safe torch._utils _rebuild_wrapper_subclass rebuilds a tensor subclass wrapper
safe torch._utils _rebuild_device_tensor_from_numpy rebuilds a tensor from an array
safe torch._utils _rebuild_meta_tensor_no_storage rebuilds a meta tensor (no data)
safe torch._tensor _rebuild_from_type_v2 rebuilds a tensor of a given Tensor subclass
safe torch FloatStorage storage type tag
safe torch DoubleStorage storage type tag
safe torch HalfStorage storage type tag
safe torch BFloat16Storage storage type tag
safe torch LongStorage storage type tag
safe torch IntStorage storage type tag
safe torch ShortStorage storage type tag
safe torch CharStorage storage type tag
safe torch ByteStorage storage type tag
safe torch BoolStorage storage type tag
safe torch ComplexFloatStorage storage type tag
safe torch ComplexDoubleStorage storage type tag
safe torch float32 dtype value
safe torch float16 dtype value
safe torch bfloat16 dtype value
safe torch float64 dtype value
safe torch int64 dtype value
safe torch int32 dtype value
safe torch int16 dtype value
safe torch int8 dtype value
safe torch uint8 dtype value
safe torch bool dtype value
safe torch complex64 dtype value
safe torch QInt8Storage storage type tag
safe torch QUInt8Storage storage type tag
safe torch QInt32Storage storage type tag
safe torch QUInt4x2Storage storage type tag
safe torch QUInt2x4Storage storage type tag
safe torch qint8 dtype value
safe torch quint8 dtype value
safe torch qint32 dtype value
safe torch float8_e4m3fn dtype value
safe torch float8_e5m2 dtype value
safe torch per_tensor_affine quantization scheme value
safe torch per_channel_affine quantization scheme value
safe torch per_tensor_symmetric quantization scheme value
safe torch per_channel_symmetric quantization scheme value
safe torch per_channel_affine_float_qparams quantization scheme value
safe torch strided layout value
safe torch sparse_coo layout value
safe torch sparse_csr layout value
safe torch sparse_csc layout value
safe torch sparse_bsr layout value
safe torch sparse_bsc layout value
safe torch.serialization _get_layout maps a layout name to a torch layout value
safe torch._utils _rebuild_sparse_csr rebuilds a sparse tensor
safe torch._utils _rebuild_nested_tensor rebuilds a nested tensor
safe torch Size shape value
safe torch device device name value
safe torch Tensor tensor class
safe torch.nn.parameter Parameter tensor wrapper
safe torch.nn.parameter UninitializedParameter placeholder of a lazy module
safe torch.nn.parameter Buffer tensor wrapper
safe torch.utils.hooks RemovableHandle hook registry handle: stores ids only
safe torch.nn.functional relu activation function reference (pure tensor math)
safe torch.nn.functional gelu activation function reference (pure tensor math)
safe torch.nn.functional silu activation function reference (pure tensor math)
safe torch.nn.functional tanh activation function reference (pure tensor math)
safe torch.jit._pickle build_intlist TorchScript pickle helper: builds a list of ints
safe torch.jit._pickle build_doublelist TorchScript pickle helper: builds a list of floats
safe torch.jit._pickle build_boollist TorchScript pickle helper: builds a list of bools
safe torch.jit._pickle build_tensorlist TorchScript pickle helper: builds a list of tensors
safe torch.jit._pickle build_tensor_from_id TorchScript pickle helper: looks up a tensor by index
safe torch.jit._pickle restore_type_tag TorchScript pickle helper: tags a container with its type
safe torch.optim.adam Adam optimizer class: __setstate__ restores hyper-parameters and state
safe torch.optim.sgd SGD optimizer class: __setstate__ restores hyper-parameters and state
safe torch.optim.adamw AdamW optimizer class: __setstate__ restores hyper-parameters and state
safe numpy dtype dtype value
safe numpy ndarray array class
safe numpy mean reduction function reference (pure math)
safe numpy sum reduction function reference (pure math)
safe numpy median reduction function reference (pure math)
safe numpy std reduction function reference (pure math)
safe numpy var reduction function reference (pure math)
safe numpy max reduction function reference (pure math)
safe numpy min reduction function reference (pure math)
safe numpy log ufunc reference (pure math)
safe numpy log1p ufunc reference (pure math)
safe numpy log2 ufunc reference (pure math)
safe numpy log10 ufunc reference (pure math)
safe numpy exp ufunc reference (pure math)
safe numpy expm1 ufunc reference (pure math)
safe numpy sqrt ufunc reference (pure math)
safe numpy square ufunc reference (pure math)
safe numpy abs ufunc reference (pure math)
safe numpy absolute ufunc reference (pure math)
safe numpy sign ufunc reference (pure math)
safe numpy tanh ufunc reference (pure math)
safe numpy sin ufunc reference (pure math)
safe numpy cos ufunc reference (pure math)
safe numpy arcsinh ufunc reference (pure math)
safe numpy reciprocal ufunc reference (pure math)
safe numpy negative ufunc reference (pure math)
safe numpy float64 scalar type
safe numpy float32 scalar type
safe numpy int64 scalar type
safe numpy int32 scalar type
safe numpy bool_ scalar type
safe numpy.core.numeric _frombuffer rebuilds an array from its bytes
safe numpy._core.numeric _frombuffer rebuilds an array from its bytes
safe numpy.core.multiarray _reconstruct rebuilds an array
safe numpy.core.multiarray scalar rebuilds a scalar
safe numpy._core.multiarray _reconstruct rebuilds an array
safe numpy._core.multiarray scalar rebuilds a scalar
safe numpy.dtypes Float64DType dtype class
safe numpy.dtypes Float32DType dtype class
safe numpy.dtypes Int64DType dtype class
safe numpy.dtypes Int32DType dtype class
safe numpy.dtypes UInt8DType dtype class
safe numpy.dtypes BoolDType dtype class
safe numpy.dtypes ObjectDType dtype class
safe numpy.dtypes StrDType dtype class
safe numpy.random._pickle __randomstate_ctor rebuilds a RandomState from its bit generator name
safe numpy.random._pickle __bit_generator_ctor rebuilds a bit generator from its name
safe numpy.random._pickle __generator_ctor rebuilds a Generator from its bit generator
safe numpy.random.mtrand RandomState random state value
safe numpy.random._generator Generator random generator value
safe numpy.random._mt19937 MT19937 bit generator state
safe numpy.random._pcg64 PCG64 bit generator state
safe numpy.random._pcg64 PCG64DXSM bit generator state
safe numpy.random._philox Philox bit generator state
safe numpy.random._sfc64 SFC64 bit generator state
safe numpy.random.bit_generator SeedSequence seed value
safe numpy.random.bit_generator __pyx_unpickle_SeedSequence rebuilds a SeedSequence from its state
safe scipy.sparse._csr csr_matrix sparse matrix value
safe scipy.sparse._csc csc_matrix sparse matrix value
safe scipy.interpolate._bsplines BSpline spline coefficients value
safe scipy._lib.array_api_compat.numpy._aliases asarray array conversion (pure)
safe joblib.numpy_pickle NumpyArrayWrapper marks an array joblib reads from the stream (followed by the VM)
safe joblib.numpy_pickle_compat NDArrayWrapper marks an array of an old joblib file

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
dangerous _frozen_importlib * import machinery
dangerous _frozen_importlib_external * import machinery
dangerous _imp * import machinery
dangerous argparse FileType opens files when called
dangerous numpy.core _ufunc_reconstruct imports any module attribute
dangerous numpy._core _ufunc_reconstruct imports any module attribute
dangerous cProfile * runs code (run, runctx)
dangerous profile * runs code (run, runctx)
dangerous doctest * runs code (debug_script, run_docstring_examples)
dangerous pydoc * runs a pager command
dangerous trace * runs code (Trace.runctx)
dangerous ensurepip * runs pip
dangerous _posixsubprocess * process execution (fork_exec)
dangerous _winapi * process execution
dangerous pandas.io.pickle * nested unpickling
dangerous pandas read_pickle nested unpickling
dangerous pandas eval evaluates expressions
dangerous numpy load nested file load (allow_pickle)
dangerous numpy fromfile reads files
dangerous numpy memmap maps files
dangerous numpy.ctypeslib * native library loading
dangerous numpy.f2py * compiles and runs native code
dangerous numpy.distutils * package build (runs commands)
dangerous torch load nested model load
dangerous torch.jit load nested model load
dangerous torch.package * nested package load with its own code
dangerous scipy.io * nested file load
dangerous _thread * thread creation
dangerous threading * thread creation
dangerous concurrent * process and thread pools
dangerous zipfile * file access
dangerous tarfile * file access and extraction
dangerous gzip * file access
dangerous bz2 * file access
dangerous lzma * file access
dangerous shelve * nested unpickling
dangerous sqlite3 * database file access
dangerous logging.config * configuration files evaluate expressions and open sockets

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
