¬
"serve*2.15.0»


saver_filenamePlaceholder
 
serving_default_xPlaceholder
p
StatefulPartitionedCallStatefulPartitionedCallserving_default_x*)
f$R"
 __inference_signature_wrapper_30
j
StatefulPartitionedCall_1StatefulPartitionedCallsaver_filename*$
fR
__inference__traced_save_45
m
StatefulPartitionedCall_2StatefulPartitionedCallsaver_filename*'
f"R 
__inference__traced_restore_60≤
r
"
 __inference_signature_wrapper_30L
PartitionedCallStatefulPartitionedCallx*
fR
__inference_serve_20
é

__inference_serve_20*
MatMul/ReadVariableOpReadVariableOpw*
MatMulMatMulxMatMul/ReadVariableOp
IdentityIdentityMatMul
Í

__inference__traced_save_459
StaticRegexFullMatchStaticRegexFullMatchfile_prefix
ConstConst6
SelectSelectStaticRegexFullMatchConstConst_1-

StringJoin
StringJoinfile_prefixSelectA
ShardedFilenameShardedFilename
StringJoin
num_shardsshardR
SaveV2SaveV2ShardedFilenameSaveV2/tensor_namesSaveV2/shape_and_slicesw]
MergeV2CheckpointsMergeV2Checkpoints&MergeV2Checkpoints/checkpoint_prefixesfile_prefix!
IdentityIdentityfile_prefix
Ω
 
__inference__traced_restore_60W
	RestoreV2	RestoreV2file_prefixRestoreV2/tensor_namesRestoreV2/shape_and_slices2
AssignVariableOpAssignVariableOpw	RestoreV2
NoOpNoOp"êJ
saver_filename:0StatefulPartitionedCall_1:0StatefulPartitionedCall_2:ó
h"f
_tf_keras_layerS{"name": "dense", "trainable": true, "class_name": "Dense", "config": {"units": 2}}
™"ß
_tf_keras_layerì{"name": "lambda", "trainable": true, "class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}