import type { Severity } from './findings.js';

/**
 * How dangerous it is for a pickle to import a global. The design is an allowlist: what the ML
 * libraries' own loaders accept passes, every other global is a finding (high), and globals known to
 * run code, reach the network or file system, rebuild code objects or load nested pickles are
 * critical. The critical list follows the published bypasses of blocklist scanners (picklescan and
 * modelscan advisories, 2025–2026), so those files fail even where the allowlist alone would.
 */

/**
 * PyTorch's `torch.load(weights_only=True)` safe set: `torch._weights_only_unpickler._get_allowed_globals()`
 * of torch 2.13.0 (cpu), printed by test/fixtures/models/make.py. Storages, tensor types and dtypes
 * are matched by pattern below, since each release adds some.
 */
const torchWeightsOnly = [
  '_codecs.encode',
  'builtins.bytearray',
  'builtins.complex',
  'builtins.set',
  'collections.Counter',
  'collections.OrderedDict',
  'torch.Size',
  'torch.Tensor',
  'torch.device',
  'torch.nn.parameter.Parameter',
  'torch.serialization._get_layout',
  'torch.storage.TypedStorage',
  'torch.storage.UntypedStorage',
  'torch._tensor._rebuild_from_type_v2',
  'torch._utils._rebuild_device_tensor_from_cpu_tensor',
  'torch._utils._rebuild_device_tensor_from_numpy',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_wrapper_subclass',
  'torch.per_channel_affine',
  'torch.per_channel_affine_float_qparams',
  'torch.per_channel_symmetric',
  'torch.per_tensor_affine',
  'torch.per_tensor_symmetric',
];

/** torch dtypes (`torch.float32`, `torch.qint8`, `torch.float8_e4m3fn`, `torch.bits4x2`…), storage and tensor classes. */
const torchTypePattern =
  /^torch\.(?:(?:cuda\.)?(?:sparse\.)?[A-Z][A-Za-z0-9]*(?:Storage|Tensor)|(?:float|bfloat|int|uint|qint|quint|complex|bits|bool)[0-9a-z_]*)$/;

/**
 * NumPy's own reconstruction globals, from the `__reduce__` implementations of numpy 2.4.6
 * (ndarray: `_reconstruct`, and `_frombuffer` for pickle protocol 5; scalars: `scalar`; dtypes;
 * masked arrays, matrices, record arrays; the random generators' constructors), under both the
 * numpy 2 (`numpy._core`) and numpy 1 (`numpy.core`) module names.
 */
const numpyReconstruction = [
  'numpy.dtype',
  'numpy.ndarray',
  'numpy.matrix',
  'numpy.memmap',
  'numpy.rec.recarray',
  'numpy.recarray',
  'numpy.ma.core.MaskedArray',
  'numpy.ma.MaskedArray',
  'numpy.ma.core._mareconstruct',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy._core._internal._convert_to_stringdtype_kwargs',
  'numpy.dtypes.StringDType',
  'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__generator_ctor',
  'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random.bit_generator.SeedSequence',
  'numpy.random.bit_generator.__pyx_unpickle_SeedSequence',
  'numpy.random._mt19937.MT19937',
  'numpy.random._pcg64.PCG64',
  'numpy.random._pcg64.PCG64DXSM',
  'numpy.random._philox.Philox',
  'numpy.random._sfc64.SFC64',
];

/** Python containers and plain values that ML checkpoints pickle. */
const pythonValues = [
  'builtins.dict',
  'builtins.list',
  'builtins.tuple',
  'builtins.frozenset',
  'builtins.slice',
  'builtins.range',
  'builtins.object',
  'builtins.int',
  'builtins.float',
  'builtins.str',
  'builtins.bytes',
  'builtins.bool',
  'collections.defaultdict',
  'collections.deque',
  'copyreg._reconstructor',
  'datetime.datetime',
  'datetime.date',
  'datetime.timedelta',
];

/**
 * joblib's placeholder for the arrays it writes raw into the stream (joblib 1.6.0,
 * `joblib/numpy_pickle.py`); the scanner skips the array bytes as joblib's unpickler reads them.
 */
export const joblibArrayWrappers = new Set([
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
]);

const safeGlobals = new Set([
  ...torchWeightsOnly,
  ...numpyReconstruction,
  ...pythonValues,
  ...joblibArrayWrappers,
]);

/**
 * Python 2 names, as `pickle` maps them when loading protocol 0–2 (`_compat_pickle` of Python
 * 3.11): judged by the module that actually gets imported.
 */
const python2Modules: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  exceptions: 'builtins',
  commands: 'subprocess',
  cPickle: 'pickle',
  httplib: 'http.client',
  urllib2: 'urllib.request',
  urlparse: 'urllib.parse',
  BaseHTTPServer: 'http.server',
  SimpleHTTPServer: 'http.server',
  CGIHTTPServer: 'http.server',
  SimpleXMLRPCServer: 'xmlrpc.server',
  DocXMLRPCServer: 'xmlrpc.server',
  xmlrpclib: 'xmlrpc.client',
  thread: '_thread',
  dummy_thread: '_dummy_thread',
  StringIO: 'io',
  cStringIO: 'io',
  UserDict: 'collections',
  UserList: 'collections',
  UserString: 'collections',
  Queue: 'queue',
  SocketServer: 'socketserver',
  Cookie: 'http.cookies',
  cookielib: 'http.cookiejar',
  'test.test_support': 'test.support',
};
const python2Names: Record<string, string> = {
  '__builtin__.xrange': 'builtins.range',
  '__builtin__.reduce': 'functools.reduce',
  '__builtin__.intern': 'sys.intern',
  '__builtin__.unichr': 'builtins.chr',
  '__builtin__.unicode': 'builtins.str',
  '__builtin__.long': 'builtins.int',
  '__builtin__.basestring': 'builtins.str',
};

/** The `module.name` Python 3 imports for a pickled module and name. */
export function python3Global(module: string, name: string): string {
  const written = `${module}.${name}`;
  return python2Names[written] ?? `${python2Modules[module] ?? module}.${name}`;
}

/**
 * Modules (and their submodules) whose globals run commands or code, touch files or the network,
 * or load other pickles. Each line names where it is documented as a pickle payload.
 */
const criticalModules = [
  'os', // os.system
  'posix', // os on POSIX
  'nt', // os on Windows
  'subprocess',
  'sys',
  'socket',
  'ssl', // DNS exfiltration via get_server_certificate (picklescan advisories 2025)
  'shutil',
  'runpy', // runpy._run_code (picklescan GHSA-655q-fx9r-782v)
  'pty', // pty.spawn (GHSA-vqmv-47xg-9wpr)
  'importlib',
  'pickle',
  '_pickle',
  'dill',
  'marshal',
  'ctypes', // ctypes.CDLL (GHSA-4675-36f9-wf6r)
  '_ctypes',
  'webbrowser',
  'code', // code.InteractiveInterpreter.runcode (GHSA-cj3c-v495-4xqh)
  'codeop',
  'multiprocessing',
  'urllib',
  'requests',
  'httpx',
  'aiohttp',
  'http',
  'ftplib',
  'telnetlib',
  'smtplib',
  'imaplib', // IMAP4_stream runs a shell command (GHSA-g38g-8gr9-h9xp)
  'poplib',
  'asyncio', // asyncio.unix_events._UnixSubprocessTransport._start (GHSA-q77w-mwjj-7mqx)
  'platform',
  'pdb',
  'bdb',
  'timeit',
  'cProfile', // cProfile.run / runctx exec strings (GHSA-49gj-c84q-6qm9, GHSA-9w88-8rmg-7g2p)
  'profile', // profile.run, Profile.runctx (GHSA-7wx9-6375-f5wh, GHSA-6vqj-c2q5-j97w)
  'trace', // trace.Trace.run / runctx (GHSA-5qwp-399c-mjwf, GHSA-g344-hcph-8vgg)
  'doctest', // doctest.debug_script (GHSA-fqq6-7vqf-w3fg)
  'pydoc', // pydoc.locate imports anything, pydoc.pipepager runs commands (GHSA-84r2-jw7c-4r5q)
  'pip', // pip.main installs packages (CVE-2025-1716)
  'ensurepip', // ensurepip._run_pip (GHSA-xp4f-hrf8-rxw7)
  'venv',
  'idlelib', // idlelib.*.runcode and friends (GHSA-m869-42cg-3xwr, GHSA-3gf5-cxq9-w223, …)
  'lib2to3', // Grammar.loads unpickles, make_label evals (GHSA-f54q-57x4-jg88, GHSA-p9w7-82w4-7q8m)
  'distutils', // distutils.file_util.write_file (GHSA-m273-6v24-x4m4)
  'setuptools',
  'test', // test.support.script_helper.assert_python_ok (GHSA-g38g-8gr9-h9xp)
  'uuid', // uuid._get_command_stdout (GHSA-g38g-8gr9-h9xp)
  '_osx_support', // _read_output (GHSA-g38g-8gr9-h9xp)
  '_aix_support', // _read_cmd_output (GHSA-g38g-8gr9-h9xp)
  '_pyrepl', // _pyrepl.pager.pipe_pager (GHSA-g38g-8gr9-h9xp)
  'mailcap', // mailcap.findmatch runs the entry's test command (modelscan, 2026)
  'tempfile',
  'glob',
  'fileinput',
  'zipimport',
  'types', // types.CodeType / FunctionType build code (picklescan, 2025)
  'cloudpickle', // every builder: _make_function, _builtin_type, subimport… (below too)
  'numpy.f2py', // getlincoef and friends eval strings (GHSA-r8g5-cgf2-4m4m)
  'numpy.testing', // numpy.testing._private.utils.runstring is exec (picklescan, 2025)
  'numpy.distutils',
  'numpy.ctypeslib', // load_library loads native code
  'torch.hub', // downloads and runs code
  'torch.package', // packages carry code
  'torch.jit', // torch.jit.unsupported_tensor_ops.execWrapper (GHSA-vr7h-p6mm-wpmh), torch.jit.load
  'torch._dynamo', // GuardBuilder.get evals (GHSA-86cj-95qr-2p4f)
  'torch._inductor', // codecache.compile_file runs a compiler command (picklescan, 2025)
  'torch.fx.experimental.symbolic_shapes', // ShapeEnv.evaluate_guards_expression evals (GHSA-h3qp-7fh3-f8h4)
  'torch.utils.bottleneck', // run_cprofile, run_autograd_prof (GHSA-4r9r-ch6f-vxmx, GHSA-4whj-rm5r-c2v8)
  'torch.utils.collect_env', // run, run_and_read_all (GHSA-f745-w6jp-hpxx, GHSA-jhph-76pp-mggw)
  'torch.utils._config_module', // ConfigModule.load_config unpickles (GHSA-vv6j-3g6g-2pvj)
  'torch.utils.data.datapipes.utils.decoder', // basichandlers unpickles (GHSA-f4x7-rfwp-v3xw)
  'torch.utils.cpp_extension', // builds and loads native code
  'torch.serialization', // torch.serialization.load: a nested, unchecked load
  'joblib.externals.cloudpickle',
  'joblib.externals.loky',
  'keras.src.utils.python_utils', // func_load rebuilds marshalled code
  'tensorflow.python.keras.utils.generic_utils',
  'sklearn.utils._testing',
  'sklearn.datasets', // fetch_* download
];

/** Single callables that run code or resolve arbitrary names, outside the modules above. */
const criticalGlobals = new Set([
  'builtins.eval',
  'builtins.exec',
  'builtins.compile',
  'builtins.open',
  'builtins.__import__',
  'builtins.getattr',
  'builtins.setattr',
  'builtins.delattr',
  'builtins.globals',
  'builtins.locals',
  'builtins.vars',
  'builtins.input',
  'builtins.breakpoint',
  'builtins.memoryview',
  'builtins.apply',
  'builtins.execfile',
  'builtins.type', // type(name, bases, dict) builds classes
  'functools.partial', // partial(os.system, "…") wraps any callable
  'functools.reduce',
  'operator.attrgetter', // attrgetter("system")(os) (GHSA-46h3-79wf-xr6c)
  'operator.itemgetter',
  'operator.methodcaller', // (GHSA-955r-x9j8-7rhh)
  '_operator.attrgetter',
  '_operator.itemgetter',
  '_operator.methodcaller',
  'pkgutil.resolve_name', // resolves any module:attribute (GHSA-vvpj-8cmc-gx39)
  'pkgutil.get_importer',
  'io.open',
  'io.open_code',
  'io.FileIO',
  '_io.open',
  '_io.open_code',
  '_io.FileIO', // reads files past an `open` blocklist (picklescan, 2025)
  'logging.FileHandler', // creates files (picklescan, 2025)
  'logging.config.listen',
  'torch.storage._load_from_bytes', // a nested torch.load of its argument: scanned when the bytes are in the file
  'torch.load',
  'numpy.load', // np.load(allow_pickle=True) of another file
  'numpy.lib.npyio.load',
  'numpy.lib._npyio_impl.load',
  'pandas.read_pickle',
  'pandas.io.pickle.read_pickle',
  'joblib.load',
  'joblib.numpy_pickle.load',
  'copyreg._reconstructor.__call__',
]);

/** Dunder attributes walk from a harmless object to builtins (`numpy.__builtins__`, modelscan issue 330). */
const dunderAttribute = /(^|\.)__[A-Za-z0-9_]+__($|\.)/;

/** SciPy's sparse matrices and arrays (`scipy.sparse._csr.csr_matrix`), as scikit-learn models pickle them. */
const scipySparse = /^scipy\.sparse\._[a-z]+\.[a-z]{3}_(?:matrix|array)$/;

/**
 * Classes of the ML libraries whose models are pickled (`sklearn.linear_model._logistic.LogisticRegression`,
 * `xgboost.sklearn.XGBClassifier`): loading one constructs the estimator and sets its state, which
 * runs no code of the file's choosing, but they are not on a library's own safe list, so they are
 * reported as medium — visible, and failing gates that ask for it, without blocking every model.
 */
const mlLibraries = ['sklearn', 'xgboost', 'lightgbm', 'catboost'];
const className = /^_?[A-Z][A-Za-z0-9]*$/;

/** How dangerous importing `module.name` is; undefined for the allowlist. */
export function globalSeverity(module: string, name: string): Severity | undefined {
  const global = python3Global(module, name);
  if (safeGlobals.has(global) || torchTypePattern.test(global)) return undefined;
  const resolved = global.slice(0, global.length - name.length - 1);
  if (criticalGlobals.has(global)) return 'critical';
  if (criticalModules.some((root) => resolved === root || resolved.startsWith(`${root}.`))) return 'critical';
  if (global.includes('cloudpickle') || dunderAttribute.test(name)) return 'critical';
  if (scipySparse.test(global)) return undefined;
  const root = resolved.split('.')[0] ?? '';
  if (mlLibraries.includes(root) && className.test(name)) return 'medium';
  return 'high';
}

/** Globals whose call loads a nested pickle from bytes in the same file; the scanner scans those bytes. */
export const nestedLoaders = new Set(['torch.storage._load_from_bytes']);
