"""The slash commands as Discord shows them in the players' languages: `name_localizations`,
`description_localizations` and choices' `name_localizations` (developer docs, interactions/
application-commands "Localization"). Discord picks the user's client language; where a locale
has no entry it shows the English default.

The languages are the original's rewrite's (DOMAIN 2): Spanish (Latin America, `es-419`), Korean
(`ko`), Russian (`ru`) and Simplified Chinese (`zh-CN`). Player commands and their options get
localized names; /admin keeps its English names (staff type them from the docs) but gets
localized descriptions. tests/unit/test_command_locales.py checks that every description and
choice has all four, and that every text fits Discord's rules.
"""

from __future__ import annotations

import copy
from typing import Any

LOCALES = ("es-419", "ko", "ru", "zh-CN")

# English name -> localized names (the same word in every command that uses it).
NAMES: dict[str, tuple[str, str, str, str]] = {
    "ping": ("ping", "핑", "пинг", "延迟"),
    "dm_after": ("md_tras", "dm지연", "лс_через", "私信延迟"),
    "help": ("ayuda", "도움말", "помощь", "帮助"),
    "setup": ("configurar", "설정", "настройка", "设置"),
    "country": ("país", "국가", "страна", "国家"),
    "region": ("región", "지역", "регион", "地区"),
    "language": ("idioma", "언어", "язык", "语言"),
    "setcountry": ("cambiar_país", "국가변경", "сменить_страну", "更改国家"),
    "termsofservice": ("términos", "이용약관", "условия", "服务条款"),
    "activate": ("activar", "활성화", "активировать", "激活"),
    "code": ("código", "코드", "код", "激活码"),
    "profile": ("perfil", "프로필", "профиль", "资料"),
    "user": ("usuario", "사용자", "игрок", "用户"),
    "leaderboard": ("clasificación", "순위표", "рейтинг", "排行榜"),
    "race": ("raza", "종족", "раса", "种族"),
    "rank": ("rango", "등급", "ранг", "等级"),
    "best_race_only": ("solo_mejor_raza", "최고종족만", "лучшая_раса", "仅最佳种族"),
    "queue": ("cola", "대기열", "очередь", "排队"),
    "replay": ("repetición", "리플레이", "реплей", "录像"),
    "file": ("archivo", "파일", "файл", "文件"),
    "match": ("partida", "경기", "матч", "比赛"),
    "notifications": ("notificaciones", "알림", "уведомления", "通知"),
    "alerts": ("avisos", "빈도", "частота", "频率"),
    "admin": ("admin", "관리", "админ", "管理"),
}

# English description or choice name -> (es-419, ko, ru, zh-CN).
TEXTS: dict[str, tuple[str, str, str, str]] = {
    # --- player commands ---
    "Check that the bot answers, and how fast each step is": (
        "Comprueba que el bot responde y cuánto tarda cada paso",
        "봇이 응답하는지, 각 단계가 얼마나 빠른지 확인합니다",
        "Проверить, что бот отвечает, и скорость каждого шага",
        "检查机器人是否响应以及每一步的速度"),
    "Also DM me after this many seconds (checks timers and DMs)": (
        "Envíame también un MD tras estos segundos (prueba temporizadores y MD)",
        "이 초 후에 DM도 보내기 (타이머와 DM 확인)",
        "Также написать мне в ЛС через столько секунд (проверка таймеров и ЛС)",
        "在这么多秒后也私信我（检查定时器和私信）"),
    "What the ladder is, how a match goes, and its commands": (
        "Qué es la ladder, cómo va una partida y sus comandos",
        "래더 소개, 경기 진행 방법과 명령어",
        "Что такое ладдер, как проходит матч, и команды",
        "天梯介绍、比赛流程和命令"),
    "Create or update your ladder profile": (
        "Crea o actualiza tu perfil de la ladder",
        "래더 프로필을 만들거나 수정합니다",
        "Создать или обновить профиль в ладдере",
        "创建或更新你的天梯资料"),
    "Your country (start typing its name)": (
        "Tu país (empieza a escribir su nombre)",
        "국가 (이름을 입력하기 시작하세요)",
        "Ваша страна (начните вводить название)",
        "你的国家（开始输入名称）"),
    "The language the ladder speaks to you (default: your Discord language)": (
        "El idioma en que te habla la ladder (por defecto: el de tu Discord)",
        "래더가 사용할 언어 (기본값: Discord 언어)",
        "Язык, на котором с вами говорит ладдер (по умолчанию: язык Discord)",
        "天梯与你交流的语言（默认：你的 Discord 语言）"),
    "My Discord language": ("El idioma de mi Discord", "내 Discord 언어", "Язык моего Discord", "我的 Discord 语言"),
    "Where you usually play from": (
        "Desde dónde sueles jugar",
        "주로 플레이하는 지역",
        "Откуда вы обычно играете",
        "你通常在哪里游戏"),
    "Change the country shown on your ladder profile": (
        "Cambia el país que muestra tu perfil",
        "래더 프로필에 표시되는 국가를 변경합니다",
        "Изменить страну в профиле ладдера",
        "更改天梯资料中显示的国家"),
    "Read and accept the ladder's terms of service": (
        "Lee y acepta los términos de servicio de la ladder",
        "래더 이용약관을 읽고 동의합니다",
        "Прочитать и принять условия использования ладдера",
        "阅读并接受天梯服务条款"),
    "Activate your ladder account with a code": (
        "Activa tu cuenta de la ladder con un código",
        "코드로 래더 계정을 활성화합니다",
        "Активировать аккаунт ладдера кодом",
        "用激活码激活你的天梯账号"),
    "Your activation code": (
        "Tu código de activación",
        "활성화 코드",
        "Ваш код активации",
        "你的激活码"),
    "Show your ladder profile, or another player's": (
        "Muestra tu perfil de la ladder o el de otro jugador",
        "내 래더 프로필 또는 다른 플레이어의 프로필을 봅니다",
        "Показать свой профиль в ладдере или профиль другого игрока",
        "查看你或其他玩家的天梯资料"),
    "Whose profile (default: yours)": (
        "De quién es el perfil (por defecto: el tuyo)",
        "누구의 프로필 (기본값: 나)",
        "Чей профиль (по умолчанию ваш)",
        "谁的资料（默认：你自己）"),
    "Show the ranked ladder (played in the last 30 days), 10 per page": (
        "Muestra la clasificación (jugadores de los últimos 30 días), 10 por página",
        "랭크 래더를 봅니다 (최근 30일 플레이), 페이지당 10명",
        "Рейтинг ладдера (игравшие за 30 дней), по 10 на страницу",
        "查看天梯排名（最近 30 天内有比赛），每页 10 人"),
    "Only this race": ("Solo esta raza", "이 종족만", "Только эта раса", "仅此种族"),
    "Only players from this country": (
        "Solo jugadores de este país", "이 국가의 플레이어만", "Только игроки из этой страны", "仅此国家的玩家"),
    "Only players from this region": (
        "Solo jugadores de esta región", "이 지역의 플레이어만", "Только игроки из этого региона", "仅此地区的玩家"),
    "Only this letter rank": ("Solo este rango", "이 등급만", "Только этот ранг", "仅此等级"),
    "Only each player's best ranked race": (
        "Solo la mejor raza clasificada de cada jugador",
        "플레이어별 최고 랭크 종족만",
        "Только лучшая раса каждого игрока",
        "仅显示每位玩家排名最高的种族"),
    "Queue for a 1v1 ladder match": (
        "Entra en la cola para una partida 1v1",
        "1대1 래더 경기 대기열에 들어갑니다",
        "Встать в очередь на матч 1 на 1",
        "排队参加 1v1 天梯比赛"),
    "Upload your match's replay: a verified replay decides the result": (
        "Sube la repetición de tu partida: una repetición verificada decide el resultado",
        "경기 리플레이 업로드: 검증된 리플레이가 결과를 결정합니다",
        "Загрузить реплей матча: проверенный реплей решает результат",
        "上传比赛录像：经过验证的录像决定结果"),
    "The .SC2Replay file": ("El archivo .SC2Replay", ".SC2Replay 파일", "Файл .SC2Replay", ".SC2Replay 文件"),
    "The match number (default: your match being played)": (
        "El número de partida (por defecto: tu partida en curso)",
        "경기 번호 (기본값: 진행 중인 내 경기)",
        "Номер матча (по умолчанию ваш текущий матч)",
        "比赛编号（默认：你正在进行的比赛）"),
    "Get a DM when someone joins the queue in your range": (
        "Recibe un MD cuando alguien de tu nivel entra en la cola",
        "내 실력대의 누군가가 대기열에 들어오면 DM을 받습니다",
        "Получать ЛС, когда в очередь встаёт игрок вашего уровня",
        "当与你水平相近的玩家开始排队时私信通知你"),
    "How often at most (Off stops them)": (
        "Con qué frecuencia como máximo (Desactivado los detiene)",
        "최대 빈도 (끄기를 선택하면 중지)",
        "Как часто, не чаще (Выкл. — отключить)",
        "最多多久一次（关闭即停止）"),
    # --- choices ---
    "Western North America": ("Oeste de Norteamérica", "북미 서부", "Запад Северной Америки", "北美西部"),
    "Central North America": ("Centro de Norteamérica", "북미 중부", "Центр Северной Америки", "北美中部"),
    "Eastern North America": ("Este de Norteamérica", "북미 동부", "Восток Северной Америки", "北美东部"),
    "Central America and the Caribbean": (
        "Centroamérica y el Caribe", "중앙아메리카와 카리브", "Центральная Америка и Карибы", "中美洲和加勒比"),
    "South America": ("Sudamérica", "남아메리카", "Южная Америка", "南美洲"),
    "Western Europe": ("Europa Occidental", "서유럽", "Западная Европа", "西欧"),
    "Northern and Eastern Europe": (
        "Europa del Norte y del Este", "북유럽과 동유럽", "Северная и Восточная Европа", "北欧和东欧"),
    "Africa": ("África", "아프리카", "Африка", "非洲"),
    "Middle East and Central Asia": (
        "Oriente Medio y Asia Central", "중동과 중앙아시아", "Ближний Восток и Центральная Азия", "中东和中亚"),
    "South and Southeast Asia": (
        "Asia del Sur y Sudeste Asiático", "남아시아와 동남아시아", "Южная и Юго-Восточная Азия", "南亚和东南亚"),
    "Korea and Japan": ("Corea y Japón", "한국과 일본", "Корея и Япония", "韩国和日本"),
    "China": ("China", "중국", "Китай", "中国"),
    "Taiwan, Hong Kong, and Macau": (
        "Taiwán, Hong Kong y Macao", "대만, 홍콩, 마카오", "Тайвань, Гонконг и Макао", "台湾、香港和澳门"),
    "Oceania": ("Oceanía", "오세아니아", "Океания", "大洋洲"),
    "Urals and Siberia": ("Urales y Siberia", "우랄과 시베리아", "Урал и Сибирь", "乌拉尔和西伯利亚"),
    "Far East Russia": ("Lejano Oriente ruso", "러시아 극동", "Дальний Восток России", "俄罗斯远东"),
    "Off": ("Desactivado", "끄기", "Выкл.", "关闭"),
    "At most every 15 minutes": (
        "Como máximo cada 15 minutos", "최대 15분마다", "Не чаще раза в 15 минут", "最多每 15 分钟一次"),
    "At most every hour": ("Como máximo cada hora", "최대 1시간마다", "Не чаще раза в час", "最多每小时一次"),
    "At most every 3 hours": (
        "Como máximo cada 3 horas", "최대 3시간마다", "Не чаще раза в 3 часа", "最多每 3 小时一次"),
    "At most once a day": ("Como máximo una vez al día", "최대 하루 한 번", "Не чаще раза в день", "最多每天一次"),
    "Player 1 wins": ("Gana el jugador 1", "플레이어 1 승리", "Победа игрока 1", "玩家 1 获胜"),
    "Player 2 wins": ("Gana el jugador 2", "플레이어 2 승리", "Победа игрока 2", "玩家 2 获胜"),
    "Draw": ("Empate", "무승부", "Ничья", "平局"),
    "Invalidate (no MMR change)": (
        "Anular (sin cambio de MMR)", "무효 처리 (MMR 변동 없음)", "Аннулировать (без изменения MMR)", "作废（MMR 不变）"),
    "set": ("fijar", "설정", "задать", "设为"),
    "add": ("sumar", "더하기", "прибавить", "增加"),
    "subtract": ("restar", "빼기", "вычесть", "减少"),
    # --- /admin (staff) ---
    "Ladder staff tools": (
        "Herramientas del staff de la ladder", "래더 운영진 도구", "Инструменты персонала ладдера", "天梯管理工具"),
    "Decide a match (conflict or missing reports)": (
        "Decide una partida (conflicto o reportes pendientes)",
        "경기를 판정합니다 (충돌 또는 보고 누락)",
        "Решить исход матча (конфликт или нет отчётов)",
        "判定比赛（结果冲突或缺少报告）"),
    "The match number": ("El número de partida", "경기 번호", "Номер матча", "比赛编号"),
    "The result": ("El resultado", "결과", "Результат", "结果"),
    "Why (logged, and told to the players)": (
        "Por qué (se registra y se informa a los jugadores)",
        "사유 (기록되며 플레이어에게 전달됨)",
        "Причина (записывается и сообщается игрокам)",
        "原因（会被记录并告知玩家）"),
    "Change a player's MMR on one race": (
        "Cambia el MMR de un jugador en una raza",
        "플레이어의 한 종족 MMR을 변경합니다",
        "Изменить MMR игрока для одной расы",
        "修改玩家某个种族的 MMR"),
    "The player": ("El jugador", "플레이어", "Игрок", "玩家"),
    "Which race": ("Qué raza", "종족", "Какая раса", "哪个种族"),
    "Set, add or subtract": ("Fijar, sumar o restar", "설정, 더하기 또는 빼기", "Задать, прибавить или вычесть",
                             "设为、增加或减少"),
    "The MMR (set) or the amount": (
        "El MMR (fijar) o la cantidad", "MMR 값 (설정) 또는 변경량", "MMR (задать) или величина", "MMR（设为）或变化量"),
    "Show a player's ladder state": (
        "Muestra el estado de un jugador en la ladder",
        "플레이어의 래더 상태를 봅니다",
        "Показать состояние игрока в ладдере",
        "查看玩家的天梯状态"),
    "Show a match's state": ("Muestra el estado de una partida", "경기 상태를 봅니다", "Показать состояние матча",
                             "查看比赛状态"),
    "Take a player out of the queue": (
        "Saca a un jugador de la cola", "플레이어를 대기열에서 뺍니다", "Убрать игрока из очереди", "将玩家移出队列"),
    "Free a player from a stuck match (the match is invalidated)": (
        "Libera a un jugador de una partida atascada (se anula)",
        "멈춘 경기에서 플레이어를 풀어 줍니다 (경기는 무효)",
        "Освободить игрока из зависшего матча (матч аннулируется)",
        "让玩家脱离卡住的比赛（比赛作废）"),
    "Who may use /admin": ("Quién puede usar /admin", "/admin 사용 권한", "Кто может использовать /admin",
                           "谁可以使用 /admin"),
    "Make a member ladder staff": (
        "Haz a un miembro staff de la ladder", "멤버를 래더 운영진으로 지정합니다", "Сделать участника персоналом",
        "将成员设为天梯管理员"),
    "The member": ("El miembro", "멤버", "Участник", "成员"),
    "Take a member off the ladder staff (owners stay)": (
        "Quita a un miembro del staff (los dueños se quedan)",
        "멤버를 운영진에서 제외합니다 (소유자는 유지)",
        "Убрать участника из персонала (владельцы остаются)",
        "将成员移出管理员（所有者保留）"),
    "List the ladder staff": ("Lista el staff de la ladder", "래더 운영진 목록", "Список персонала ладдера",
                              "列出天梯管理员"),
    "Activation codes": ("Códigos de activación", "활성화 코드", "Коды активации", "激活码"),
    "Make an activation code (shown once, to you)": (
        "Crea un código de activación (se muestra una vez, solo a ti)",
        "활성화 코드를 만듭니다 (나에게 한 번만 표시)",
        "Создать код активации (показывается один раз, только вам)",
        "创建激活码（只向你显示一次）"),
    "How many players may use it (default 1)": (
        "Cuántos jugadores pueden usarlo (por defecto 1)",
        "사용할 수 있는 플레이어 수 (기본값 1)",
        "Сколько игроков могут его использовать (по умолчанию 1)",
        "可使用的玩家人数（默认 1）"),
    "Valid for this many days (default: no expiry)": (
        "Válido durante estos días (por defecto: no caduca)",
        "유효 기간 일수 (기본값: 만료 없음)",
        "Срок действия в днях (по умолчанию бессрочно)",
        "有效天数（默认：永不过期）"),
    "List the usable activation codes": (
        "Lista los códigos de activación utilizables", "사용 가능한 활성화 코드 목록", "Список действующих кодов",
        "列出可用的激活码"),
    "Revoke an activation code by its id (from /admin code list)": (
        "Revoca un código de activación por su id (de /admin code list)",
        "ID로 활성화 코드를 취소합니다 (/admin code list 참고)",
        "Отозвать код активации по id (из /admin code list)",
        "按 ID 撤销激活码（见 /admin code list）"),
    "The code's id": ("El id del código", "코드 ID", "Id кода", "激活码 ID"),
    "Ban a player from queueing (takes them out of the queue)": (
        "Prohíbe a un jugador entrar en la cola (lo saca de ella)",
        "플레이어의 대기열 참가를 금지합니다 (대기열에서 제외)",
        "Запретить игроку очередь (убирает из очереди)",
        "禁止玩家排队（并将其移出队列）"),
    "Lift a player's ban": ("Levanta la prohibición de un jugador", "플레이어의 금지를 해제합니다",
                            "Снять запрет с игрока", "解除玩家的禁令"),
    "Take every player out of the queue (each is told)": (
        "Saca a todos los jugadores de la cola (se avisa a cada uno)",
        "모든 플레이어를 대기열에서 뺍니다 (각자에게 알림)",
        "Убрать всех игроков из очереди (каждому сообщат)",
        "将所有玩家移出队列（逐一通知）"),
    "The ladder at a glance: queue, matches, stranded players, last wave": (
        "La ladder de un vistazo: cola, partidas, jugadores atascados, última ronda",
        "래더 한눈에 보기: 대기열, 경기, 멈춘 플레이어, 마지막 매칭",
        "Ладдер кратко: очередь, матчи, застрявшие игроки, последняя волна",
        "天梯概览：队列、比赛、卡住的玩家、上一轮匹配"),
    "Post an Open Application button here (each applicant gets a private channel)": (
        "Publica aquí un botón de solicitud (cada solicitante tiene un canal privado)",
        "여기에 지원 버튼을 게시합니다 (지원자마다 비공개 채널)",
        "Разместить здесь кнопку заявки (у каждого заявителя свой канал)",
        "在此发布申请按钮（每位申请者获得私人频道）"),
    "The panel's title": ("El título del panel", "패널 제목", "Заголовок панели", "面板标题"),
    "What applicants read above the button": (
        "Lo que leen los solicitantes encima del botón", "버튼 위에 표시될 안내문", "Текст над кнопкой для заявителей",
        "按钮上方给申请者看的说明"),
    "The category where application channels go": (
        "La categoría donde van los canales de solicitud", "지원 채널이 생성될 카테고리",
        "Категория для каналов заявок", "申请频道所在的分类"),
    "A role that sees every application channel": (
        "Un rol que ve todos los canales de solicitud", "모든 지원 채널을 볼 수 있는 역할",
        "Роль, которая видит все каналы заявок", "可查看所有申请频道的身份组"),
    "The channel name; %name% is the applicant's (default 📝%name%-app)": (
        "El nombre del canal; %name% es el del solicitante (por defecto 📝%name%-app)",
        "채널 이름; %name%은 지원자 이름 (기본값 📝%name%-app)",
        "Имя канала; %name% — имя заявителя (по умолчанию 📝%name%-app)",
        "频道名称；%name% 为申请者名字（默认 📝%name%-app）"),
}

# Choices shown as they are in every language: the games' own race names and the rank letters.
# The languages' own names stay as they are: a player looks for their language written in it.
AS_IS = frozenset({"English", "Español (Latinoamérica)", "한국어", "Русский", "简体中文",
                   "BW Terran", "BW Zerg", "BW Protoss", "SC2 Terran", "SC2 Zerg", "SC2 Protoss",
                   "S", "A", "B", "C", "D", "E", "F"})


def _texts(english: str) -> dict[str, str] | None:
    found = TEXTS.get(english)
    return dict(zip(LOCALES, found, strict=True)) if found else None


def _localize(item: dict[str, Any], names: bool) -> None:
    """A command, option or choice, and everything below it, in place."""
    if names and item["name"] in NAMES:
        item["name_localizations"] = dict(zip(LOCALES, NAMES[item["name"]], strict=True))
    if texts := _texts(item.get("description", "")):
        item["description_localizations"] = texts
    for choice in item.get("choices") or []:
        if texts := _texts(choice["name"]):
            choice["name_localizations"] = texts
    for child in item.get("options") or []:
        _localize(child, names)


def localized(command: dict[str, Any]) -> dict[str, Any]:
    """The command as registered: its names (a player command's), descriptions and choices in
    every locale that has them. /admin's own name is localized; its subcommands and options keep
    the English names staff type from the docs."""
    out = copy.deepcopy(command)
    _localize(out, names=out["name"] != "admin")
    if out["name"] == "admin":
        out["name_localizations"] = dict(zip(LOCALES, NAMES["admin"], strict=True))
    return out
