ì
"serve*2.15.0≥

xPlaceholder

w
VariableV2

MatMulMatMulxw
3
save/filenamePlaceholderWithDefault
save/Const


save/ConstConst
\
save/SaveV2SaveV2
save/Constsave/SaveV2/tensor_namessave/SaveV2/shape_and_slicesw
e
save/RestoreV2	RestoreV2
save/Constsave/RestoreV2/tensor_namessave/RestoreV2/shape_and_slices
(
save/AssignAssignwsave/RestoreV2

save/restore_allNoOp

globMatchingFilespattern"êJ
saver_filename:0StatefulPartitionedCall_1:0StatefulPartitionedCall_2