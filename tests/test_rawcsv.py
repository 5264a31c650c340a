"""Raw CIC readers: the genuine files, small fixture files, and malformed files of every kind."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import SHARED_DATASETS, genuine_or_skip, needs_genuine

from nidslib.data import schema
from nidslib.data.rawcsv import (DatasetFormatError, read_cicids2017_csv, read_cse_cic_ids2018_csv,
                            read_flow_table)

GENUINE = SHARED_DATASETS
FRIDAY_HEAD = (GENUINE / "cicids2017" / "friday_ddos_head"
               / "Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head10k.csv")
MONDIRKB = GENUINE / "cicids2017" / "mondirkb_trafficlabelling"
ML_HEADER = ",".join(schema.MACHINE_LEARNING_CVE_HEADER).encode()
TL_HEADER = ",".join(schema.TRAFFIC_LABELLING_HEADER).encode()
N_FEATURES = len(schema.MACHINE_LEARNING_CVE_HEADER) - 1  # 78, the copy included


def ml_row(value: float = 1.0, label: bytes = b"BENIGN") -> bytes:
    return b",".join([str(value).encode()] * N_FEATURES + [label])


def tl_row(time: bytes = b"7/7/2017 3:56", label: bytes = b"DDoS") -> bytes:
    ids = [b"a-b-1-2-6", b"172.16.0.1", b"36196.0", b"192.168.10.50", b"80.0", b"6.0", time]
    return b",".join(ids + [b"2"] * (N_FEATURES - 1) + [label])


def write(folder: Path, lines: list[bytes], name: str = "flows.csv", end: bytes = b"\r\n"):
    path = folder / name
    path.write_bytes(end.join(lines) + end)
    return path


@pytest.fixture(scope="module")
def friday_head():
    return read_cicids2017_csv(genuine_or_skip(FRIDAY_HEAD))


def test_genuine_friday_head_reads_with_its_own_names(friday_head):
    names = list(schema.MACHINE_LEARNING_CVE_HEADER)
    names[55] += ".1"  # pandas' name for the second Fwd Header Length
    assert list(friday_head.columns) == names
    assert len(friday_head) == 9_998
    assert set(friday_head[" Label"]) == {"BENIGN"}
    assert (friday_head.dtypes.iloc[:-1] == np.float64).all()


def test_genuine_friday_head_parses_infinity_and_nan(friday_head):
    rate = friday_head["Flow Bytes/s"]
    assert np.isposinf(rate).sum() == 6 and rate.isna().sum() == 1
    assert np.isposinf(friday_head[" Flow Packets/s"]).sum() == 7


@needs_genuine(GENUINE)
def test_float32_option_keeps_infinity():
    frame = read_cicids2017_csv(FRIDAY_HEAD, float_dtype="float32")
    assert frame["Flow Bytes/s"].dtype == np.float32
    assert np.isposinf(frame["Flow Bytes/s"]).sum() == 6


@needs_genuine(GENUINE)
def test_genuine_trafficlabelling_keeps_the_utf8_dash_and_reads_the_afternoon():
    xss = read_cicids2017_csv(MONDIRKB / "baseline_xss.csv", format="TrafficLabelling")
    assert set(xss["Label"]) == {"Web Attack \u00c2\x96 XSS"}  # b"\xc2\x96" read as latin-1
    assert xss["Source Port"].iloc[0] == 52120.0
    ddos = read_cicids2017_csv(MONDIRKB / "baseline_ddos.csv", format="TrafficLabelling")
    assert (ddos["Timestamp"] == np.datetime64("2017-07-07T15:56")).all()  # "7/7/2017 3:56"
    portscan = read_cicids2017_csv(MONDIRKB / "baseline_portscan.csv", "TrafficLabelling")
    assert portscan["Timestamp"].dt.hour.between(13, 14).all()


@needs_genuine(GENUINE)
@pytest.mark.parametrize("path, asked, looks_like", [
    (MONDIRKB / "baseline_sqli.csv", "MachineLearningCVE", "TrafficLabelling"),
    (FRIDAY_HEAD, "TrafficLabelling", "MachineLearningCVE"),
])
def test_wrong_format_says_which_format_it_looks_like(path, asked, looks_like):
    with pytest.raises(DatasetFormatError, match=f"{path.name}.*is a {looks_like} file"):
        read_cicids2017_csv(path, format=asked)


def test_raw_cp1252_byte_survives(tmp_path):
    path = write(tmp_path, [ML_HEADER, ml_row(label=b"Web Attack \x96 XSS"), ml_row()])
    frame = read_cicids2017_csv(path)
    assert list(frame[" Label"]) == ["Web Attack \x96 XSS", "BENIGN"]
    assert frame.attrs["blank_rows"] == 0


def test_lf_line_ends_and_a_missing_final_newline_are_fine(tmp_path):
    path = tmp_path / "lf.csv"
    path.write_bytes(ML_HEADER + b"\n" + ml_row() + b"\n" + ml_row(2.0))
    assert list(read_cicids2017_csv(path)[" Flow Duration"]) == [1.0, 2.0]


def test_blank_trafficlabelling_rows_are_dropped_and_counted(tmp_path):
    blank = b"," * (len(schema.TRAFFIC_LABELLING_HEADER) - 1)
    path = write(tmp_path, [TL_HEADER, tl_row(), blank, blank, tl_row(b"7/7/2017 9:05")])
    frame = read_cicids2017_csv(path, format="TrafficLabelling")
    assert len(frame) == 2 and frame.attrs["blank_rows"] == 2
    assert list(frame[" Timestamp"].dt.hour) == [15, 9]


def test_bad_timestamp_names_value(tmp_path):
    path = write(tmp_path, [TL_HEADER, tl_row(), tl_row(b"31/2/2017 3:56")])
    with pytest.raises(DatasetFormatError, match=r"flows.csv, data row 2.*'31/2/2017 3:56'"):
        read_cicids2017_csv(path, format="TrafficLabelling")


def test_unknown_format_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        read_cicids2017_csv(tmp_path / "x.csv", format="GeneratedLabelledFlows")


# --- CSE-CIC-IDS2018 ----------------------------------------------------------------------

def cse_row(time: bytes = b"14/02/2018 08:31:01", label: bytes = b"Benign") -> bytes:
    features = [b"Infinity" if name == "Flow Byts/s" else b"3"
                for name in schema.CSE_CIC_IDS2018_HEADER[3:-1]]
    return b",".join([b"22", b"6", time] + features + [label])


def test_cse_reader_drops_repeated_headers(tmp_path):
    header = ",".join(schema.CSE_CIC_IDS2018_HEADER).encode()
    path = write(tmp_path, [header, cse_row(), header, cse_row(label=b"FTP-BruteForce"), header],
                 end=b"\n")
    frame = read_cse_cic_ids2018_csv(path)
    assert len(frame) == 2 and frame.attrs["repeated_headers"] == 2
    assert list(frame["Label"]) == ["Benign", "FTP-BruteForce"]
    assert np.isposinf(frame["Flow Byts/s"]).all()
    assert frame["Timestamp"].iloc[0] == np.datetime64("2018-02-14T08:31:01")


def test_cse_reader_keeps_the_tuesday_identity_columns(tmp_path):
    header = ",".join(schema.CSE_CIC_IDS2018_EXTRA_COLUMNS + schema.CSE_CIC_IDS2018_HEADER)
    ids = b"1.2.3.4-5.6.7.8-80-443-6,1.2.3.4,80,5.6.7.8,"
    path = write(tmp_path, [header.encode(), ids + cse_row()])
    table, counts = read_flow_table(path, "CSE-CIC-IDS2018")
    assert table.column_names[:4] == list(schema.CSE_CIC_IDS2018_EXTRA_COLUMNS)
    assert counts == {"blank_rows": 0, "repeated_headers": 0}


def test_cse_reader_rejects_a_2017_file(tmp_path):
    path = write(tmp_path, [ML_HEADER, ml_row()])
    with pytest.raises(DatasetFormatError, match="is a MachineLearningCVE file"):
        read_cse_cic_ids2018_csv(path)


# --- Malformed files: always DatasetFormatError, naming the file --------------------------

NOT_NUMBERS = st.sampled_from(["abc", "N/A", "1.2.3", "--", "0x1F", "one", "Inf!", "#", "1e"])
NUMERIC_COLUMNS = [i for i, name in enumerate(schema.MACHINE_LEARNING_CVE_HEADER[:-1])]
FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_error(lines: list[bytes], **kwargs) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), lines, name="bad-file.csv")
        with pytest.raises(DatasetFormatError) as caught:
            read_cicids2017_csv(path, **kwargs)
    assert "bad-file.csv" in str(caught.value)
    return str(caught.value)


@FAST
@given(rows=st.integers(1, 5), bad=st.integers(0, 4), keep=st.integers(1, N_FEATURES))
def test_truncated_row_names_line_and_field_count(rows, bad, keep):
    bad = min(bad, rows - 1)
    lines = [ML_HEADER] + [ml_row(float(i)) for i in range(rows)]
    lines[bad + 1] = b",".join(lines[bad + 1].split(b",")[:keep])
    message = read_error(lines)
    assert f"line {bad + 2}: {keep} fields, expected 79" in message


@FAST
@given(rows=st.integers(1, 5), bad=st.integers(0, 4), column=st.sampled_from(NUMERIC_COLUMNS),
       text=NOT_NUMBERS)
def test_text_in_a_numeric_column_names_line_column_and_value(rows, bad, column, text):
    bad = min(bad, rows - 1)
    lines = [ML_HEADER] + [ml_row(float(i)) for i in range(rows)]
    fields = lines[bad + 1].split(b",")
    fields[column] = text.encode()
    lines[bad + 1] = b",".join(fields)
    message = read_error(lines)
    name = schema.MACHINE_LEARNING_CVE_HEADER[column].strip()
    assert f"line {bad + 2}, column '{name}': '{text}'" in message


@FAST
@given(rows=st.integers(0, 3))
def test_missing_label_column(rows):
    header = ",".join(schema.MACHINE_LEARNING_CVE_HEADER[:-1]).encode()
    lines = [header] + [b",".join(ml_row().split(b",")[:-1]) for _ in range(rows)]
    assert "no 'Label' column" in read_error(lines)


@FAST
@given(rows=st.integers(0, 3))
def test_trafficlabelling_file_given_to_the_machinelearningcve_reader(rows):
    message = read_error([TL_HEADER] + [tl_row() for _ in range(rows)])
    assert "is a TrafficLabelling file" in message


@FAST
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_raise_anything_else(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        path.write_bytes(data)
        with pytest.raises(DatasetFormatError, match="random.csv"):
            read_cicids2017_csv(path)


@FAST
@given(tail=st.binary(max_size=2000), format=st.sampled_from(["MachineLearningCVE",
                                                             "TrafficLabelling"]))
def test_random_bytes_after_a_valid_header_raise_only_dataset_format_errors(tail, format):
    header = ML_HEADER if format == "MachineLearningCVE" else TL_HEADER
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tail.csv"
        path.write_bytes(header + b"\r\n" + tail)
        try:
            read_cicids2017_csv(path, format=format)
        except DatasetFormatError as error:
            assert "tail.csv" in str(error)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"), (b"\r\n" + ML_HEADER, "starts with a blank line"),
])
def test_empty_file(tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(DatasetFormatError, match=f"empty.csv.*{message}"):
        read_cicids2017_csv(path)


def test_header_with_a_renamed_column_lists_missing_and_unexpected(tmp_path):
    header = ML_HEADER.replace(b" Flow Duration", b" Flow Time")
    with pytest.raises(DatasetFormatError, match=r"missing \['Flow Duration'\], unexpected "
                                                 r"\['Flow Time'\]"):
        read_cicids2017_csv(write(tmp_path, [header, ml_row()]))


def test_header_without_the_duplicated_column_names_it(tmp_path):
    names = list(schema.TRAFFIC_LABELLING_HEADER)
    copy = max(i for i, n in enumerate(names) if n.strip() == "Fwd Header Length")
    header = ",".join(names[:copy] + names[copy + 1:]).encode()
    with pytest.raises(DatasetFormatError, match=r"84 columns, expected 85; missing \['Fwd Header "
                                                 r"Length'\], unexpected \[\]; \['Fwd Header Length'\] "
                                                 r"appear once.*has them twice"):
        read_cicids2017_csv(write(tmp_path, [header, tl_row()[:-1]]), format="TrafficLabelling")
